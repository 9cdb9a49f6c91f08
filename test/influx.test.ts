import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCatalogue } from '@cityhub/contracts/catalogue';
import { openRegistry } from '@cityhub/devices';
import { createInfluxStore } from '@cityhub/store';
import { startInfluxd, type Influxd } from '../store/test/influxd.js';
import { startHub, waitFor, type TestHub } from './harness.js';
import { checkStored, startLoad } from './load.js';
import { freePort } from './mosquitto.js';

const SOAK = process.env.CITYHUB_SOAK === '1';
const TOTAL = SOAK ? 30_000 : 6_000;
const OUTAGE_MS = SOAK ? 60_000 : 8_000;
const DEVICES = 50;

describe(`the hub on a real influxd, which is killed for ${OUTAGE_MS / 1000} s under QoS 1 load`, () => {
  let influxd: Influxd | undefined;
  let hub: TestHub | undefined;
  let dir: string;
  afterAll(async () => {
    await hub?.stop({ keepData: true });
    await influxd?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps acknowledging from the spool, recovers by itself, and stores every acknowledged reading once', async () => {
    influxd = await startInfluxd();
    dir = await mkdtemp(join(tmpdir(), 'cityhub-influx-e2e-'));
    const links = loadCatalogue().features.filter((f) => f.properties.kind === 'traffic').slice(0, DEVICES);
    const registry = await openRegistry(dir);
    const devices = await registry.addMany(links.map((l) => ({ kind: 'traffic' as const, asset: l.id })));
    await registry.close();
    hub = await startHub({ dataDir: dir, env: { CITYHUB_STORE: 'influxdb', INFLUX_URL: influxd.url, INFLUX_BUCKET: 'cityhub', CITYHUB_MQTT_PORT: String(await freePort()) } });
    const load = startLoad(hub.mqttUrl, devices.map((d) => ({ ...d })), { total: TOTAL, baseTs: Date.now() - 3_600_000, window: 4 });

    await load.until(TOTAL / 3, 60_000);
    influxd.kill('SIGKILL');
    const before = load.acked.size;
    const h = hub;
    await waitFor(async () => ((await h.get('/readyz')).status === 503 ? true : undefined), 10_000, '/readyz to say the store is down');
    const readyz = (await hub.get<{ checks: { store: { ok: boolean; detail?: string } } }>('/readyz')).body;
    expect(readyz.checks.store.ok).toBe(false);
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    const duringOutage = load.acked.size - before;
    await influxd.restart();
    await load.until(Math.ceil(TOTAL / DEVICES) * DEVICES, 120_000);
    await load.stop();
    // The writer drains the spool by itself once influxd answers again.
    await waitFor(async () => {
      const m = await (await fetch(`${h.httpUrl}/metrics`)).text();
      return /^cityhub_spool_backlog_bytes 0$/m.test(m) && (await h.get('/readyz')).status === 200 ? true : undefined;
    }, 60_000, 'the spool to drain into influxd');

    const store = createInfluxStore({ url: influxd.url, bucket: 'cityhub' });
    await store.init();
    const acked = [...load.acked.values()];
    const { stored, duplicates, missing } = await checkStored(store, links.map((l) => l.id), acked);
    console.log(`influx outage: ${acked.length} acknowledged, ${duringOutage} of them while influxd was down; stored ${stored.size}; missing ${missing.length}; duplicates ${duplicates}`);
    expect(duringOutage).toBeGreaterThan(0);
    expect(missing).toEqual([]);
    expect(duplicates).toBe(0);
    expect(stored.size).toBe(acked.length);
    await store.close();
  }, SOAK ? 600_000 : 240_000);
});
