import { expect } from 'vitest';
import { runStoreSuite } from '../testing/conformance.js';
import { createInfluxStore } from '../src/influx/influx-store.js';
import { dropDb, freshDb, useInfluxd } from './influx-fixture.js';

/**
 * The conformance suite with writes through `@influxdata/influxdb-client`'s WriteApi: the front serves
 * `/api/v2/write` and `/health` as InfluxDB 1.8 does, over the same real influxd.
 */
const servers = useInfluxd();

runStoreSuite('influxdb via /api/v2/write', async () => {
  const db = freshDb();
  const store = createInfluxStore({ url: servers.front.url, bucket: db, org: 'thessaloniki' });
  return {
    store,
    cleanup: async () => {
      // Every store of the suite must have gone through the client library, not /write.
      if (store.serverInfo()) expect(store.serverInfo()?.writeApi).toBe('/api/v2/write');
      await dropDb(servers.influxd.url, db);
    },
  };
});
