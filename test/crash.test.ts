import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCatalogue } from '@cityhub/contracts/catalogue';
import { openRegistry } from '@cityhub/devices';
import { createDuckDbStore } from '@cityhub/store';
import { startHub, type Credentials, type TestHub } from './harness.js';
import { freePort } from './mosquitto.js';
import { startLoad } from './load.js';

/** `npm run soak` runs the full size; `npm test` a shorter one. */
const SOAK = process.env.CITYHUB_SOAK === '1';
const TOTAL = Number(process.env.CITYHUB_CRASH_TOTAL ?? (SOAK ? 50_000 : 12_000));
const KILLS = SOAK ? 5 : 3;
const DEVICES = 100;

/** The same run with the store on the main thread (the default) and on a thread of its own (CITYHUB_DUCKDB_OWN_THREAD). */
const VARIANTS: Array<{ name: string; env: Record<string, string>; total: number; kills: number }> = [
  { name: '', env: {}, total: TOTAL, kills: KILLS },
  { name: ', the store on its own thread', env: { CITYHUB_DUCKDB_OWN_THREAD: 'true' }, total: SOAK ? TOTAL : 4_000, kills: 2 },
];

for (const { name, env: variantEnv, total: TOTAL, kills: KILLS } of VARIANTS) describe(`kill -9 of the hub under QoS 1 load (${TOTAL} readings, ${DEVICES} devices, ${KILLS} kills${name})`, () => {
  let dir: string;
  let hub: TestHub | undefined;
  afterAll(async () => {
    await hub?.stop({ keepData: true });
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stores every acknowledged reading exactly once', async () => {
    dir = await mkdtemp(join(tmpdir(), 'cityhub-crash-'));
    const links = loadCatalogue().features.filter((f) => f.properties.kind === 'traffic').slice(0, DEVICES);
    const registry = await openRegistry(dir);
    const created = await registry.addMany(links.map((l) => ({ kind: 'traffic' as const, asset: l.id })));
    await registry.close();
    const devices: Credentials[] = created.map((c) => ({ ...c }));
    const env = { ...variantEnv, CITYHUB_MQTT_PORT: String(await freePort()) };

    hub = await startHub({ dataDir: dir, env });
    const load = startLoad(hub.mqttUrl, devices, { total: TOTAL, baseTs: Date.now() - 3_600_000, window: 8 });
    const kills: number[] = [];
    for (let k = 0; k < KILLS; k++) {
      // A random moment in the k-th share of the run.
      const at = Math.floor((TOTAL * (k + Math.random() * 0.8 + 0.1)) / (KILLS + 1));
      await load.until(at, 60_000);
      kills.push(load.acked.size);
      hub.proc.kill('SIGKILL');
      await hub.stop({ keepData: true });
      hub = await startHub({ dataDir: dir, env });
    }
    await load.until(Math.ceil(TOTAL / DEVICES) * DEVICES, 60_000);
    await load.stop();
    expect(await hub.stop({ keepData: true })).toBe(0);
    hub = undefined;

    // The hub folds rollups a minute or two behind the live edge (W) and reads newer buckets from raw. Here W is
    // moved up to now, so that every bucket of the run is read from the rollup tables the killed hub left behind
    // and the fold built from raw: a write (on an asset of its own) triggers the fold.
    const store = createDuckDbStore({ path: join(dir, 'cityhub.duckdb'), rollupDelayMs: 0, foldEveryMs: 0 });
    await store.init();
    try {
      await store.write([{ kind: 'energy', asset: 'fold-probe', device: 'fold-probe', ts: Date.now(), seq: 0, values: { power_kw: 0 } }]);
      const from = Math.min(...[...load.acked.values()].map((a) => a.ts));
      const rows = await store.series({ assets: links.map((l) => l.id), metric: 'speed_kmh', from, to: Date.now() + 60_000 });
      const stored = new Map<string, number>();
      let duplicates = 0;
      for (const r of rows) {
        const seen = new Set<number>();
        for (const [ts, v] of r.points) {
          if (seen.has(ts)) duplicates++;
          seen.add(ts);
          stored.set(`${r.asset}|${ts}`, v);
        }
      }
      const acked = [...load.acked.values()];
      const missing = acked.filter((a) => stored.get(`${a.asset}|${a.ts}`) !== a.value);
      const ackedSum = acked.reduce((s, a) => s + a.value, 0);
      const storedSum = acked.reduce((s, a) => s + (stored.get(`${a.asset}|${a.ts}`) ?? 0), 0);
      console.log(`crash test: ${acked.length} acknowledged of ${load.sent()} sent, kills after ${kills.join(', ')} acks; stored ${stored.size}; missing ${missing.length}; duplicates ${duplicates}`);
      if (missing.length) console.log('missing', JSON.stringify(missing.slice(0, 30).map((m) => [m.device, m.seq, stored.get(`${m.asset}|${m.ts}`) ?? null, m.value])));
      expect(missing).toEqual([]);
      expect(duplicates).toBe(0);
      expect(storedSum).toBe(ackedSum);
      expect(acked.length).toBe(Math.ceil(TOTAL / DEVICES) * DEVICES);
      // Nothing else was stored: every stored reading is one that was published.
      expect(stored.size).toBe(acked.length);
      // The rollups, written by the same rounds that the kills cut short, equal a recomputation from raw.
      for (const stepS of [60, 900, 3600]) {
        const assets = links.map((l) => l.id);
        for (const agg of ['count', 'sum'] as const) {
          // Aligned to the hour, so that every step is answered from its rollup (see resolutionFor).
          const hour = 3_600_000;
          const aligned = { from: Math.floor(from / hour) * hour, to: Math.ceil((Date.now() + 60_000) / hour) * hour };
          const rolled = await store.series({ assets, metric: 'speed_kmh', ...aligned, stepS, agg });
          expect(asMap(rolled)).toEqual(recompute(rows, stepS, agg));
        }
      }
    } finally {
      await store.close();
    }
  }, SOAK ? 900_000 : 240_000);
});

/** Bucket → value of series, keyed `asset|bucket`. */
function asMap(series: Array<{ asset: string; points: Array<[number, number]> }>): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of series) for (const [ts, v] of r.points) out.set(`${r.asset}|${ts}`, v);
  return out;
}

/** The count or sum of raw series per bucket of `stepS`, as a rollup should hold it. */
function recompute(raw: Array<{ asset: string; points: Array<[number, number]> }>, stepS: number, agg: 'count' | 'sum'): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of raw) {
    for (const [ts, v] of r.points) {
      const key = `${r.asset}|${Math.floor(ts / (stepS * 1000)) * stepS * 1000}`;
      out.set(key, (out.get(key) ?? 0) + (agg === 'count' ? 1 : v));
    }
  }
  return out;
}
