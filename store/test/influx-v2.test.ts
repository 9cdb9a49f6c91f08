import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import { runStoreSuite } from '../src/conformance.js';
import { createInfluxStore } from '../src/influx/influx-store.js';
import { startInfluxd, type Influxd } from './influxd.js';
import { startV2Front, type V2Front } from './v2-front.js';

/**
 * The conformance suite with writes through `@influxdata/influxdb-client`'s WriteApi: the front serves
 * `/api/v2/write` and `/health` as InfluxDB 1.8 does, over the same real influxd.
 */
let influxd: Influxd;
let front: V2Front;

beforeAll(async () => {
  influxd = await startInfluxd();
  front = await startV2Front(influxd.url);
});
afterAll(async () => {
  await front?.close();
  await influxd?.stop();
});

runStoreSuite('influxdb via /api/v2/write', async () => {
  const db = `hub_${randomBytes(6).toString('hex')}`;
  const store = createInfluxStore({ url: front.url, bucket: db, org: 'thessaloniki' });
  return {
    store,
    cleanup: async () => {
      // Every store of the suite must have gone through the client library, not /write.
      if (store.serverInfo()) expect(store.serverInfo()?.writeApi).toBe('/api/v2/write');
      const res = await fetch(`${influxd.url}/query`, { method: 'POST', body: new URLSearchParams({ q: `DROP DATABASE "${db}"` }) });
      expect(res.status).toBe(200);
    },
  };
});
