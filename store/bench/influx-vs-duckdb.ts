/**
 * InfluxDB and DuckDB side by side, not a test: `npx tsx store/bench/influx-vs-duckdb.ts`.
 *
 * The whole city's road links (212, as the Thessaloniki catalogue has) report every INTERVAL_S seconds
 * (default 120) for 7 days: two metrics per reading, written in time order in batches of 5,000 to each
 * store in turn (rollups included, as `write()` keeps them), on a private influxd (Debian's 1.6.7, via
 * `/write`) and a DuckDB file. Then the dashboard's whole-city history — 212 series, 7 days at 15 min,
 * answered from the 15 min rollups — and `latest()` are each run 5 times per store; the first (cold) and
 * the median are printed. For scale, influxd is also timed taking the same raw lines with no rollups.
 * Writes and reads alternate between the stores, so that the load of a shared machine falls on both.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDuckDbStore, createInfluxStore, type Point, type SeriesResult, type Store } from '../src/index.js';
import { writeV1 } from '../src/influx/http.js';
import { pointLine } from '../src/influx/line-protocol.js';
import { startInfluxd } from '../test/influxd.js';

const LINKS = 212;
const DAY = 86_400_000;
const INTERVAL = Number(process.env.INTERVAL_S ?? 120) * 1000;
const BATCH = 5_000;
const END = Date.UTC(2024, 5, 1);
const START = END - 7 * DAY;
const link = (i: number) => `L${String(i).padStart(4, '0')}`;
const assets = Array.from({ length: LINKS }, (_, i) => link(i));

function* batches(): Generator<Point[]> {
  let batch: Point[] = [];
  for (let ts = START, k = 0; ts < END; ts += INTERVAL, k++) {
    for (let a = 0; a < LINKS; a++) {
      // Devices report a few seconds apart, not all in the same millisecond.
      batch.push({ kind: 'traffic', asset: link(a), device: `d${a}`, ts: ts + a * 97, seq: k,
        values: { speed_kmh: 20 + ((a * 7 + k) % 60) + 0.25, flow_veh_h: 200 + ((a * k) % 900) } });
      if (batch.length === BATCH) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length) yield batch;
}

/**
 * Writes every batch to each target in turn, timing each target on its own: interleaved, so that a busy
 * moment of a shared machine falls on all of them alike.
 */
async function writeInterleaved(targets: Array<[string, (b: Point[]) => Promise<void>]>): Promise<void> {
  const ms = targets.map(() => 0);
  let n = 0;
  for (const b of batches()) {
    for (const [i, [, write]] of targets.entries()) {
      const t = performance.now();
      await write(b);
      ms[i]! += performance.now() - t;
    }
    n += b.length;
  }
  targets.forEach(([label], i) => {
    const s = ms[i]! / 1000;
    console.log(`${label}: ${n} points in ${s.toFixed(1)} s = ${Math.round(n / s)} points/s`);
  });
}

/** Runs each read 5 times per store, alternating stores; prints the first (cold) run and the median. */
async function timedSideBySide<T>(label: string, stores: Array<[string, Store]>, run: (s: Store) => Promise<T>, describe: (r: T) => string): Promise<void> {
  const ms = stores.map((): number[] => []);
  const results: Array<T | undefined> = stores.map(() => undefined);
  for (let k = 0; k < 5; k++) {
    for (const [i, [, store]] of stores.entries()) {
      const t = performance.now();
      results[i] = await run(store);
      ms[i]!.push(performance.now() - t);
    }
  }
  stores.forEach(([name], i) => {
    const median = [...ms[i]!].sort((a, b) => a - b)[2] ?? 0;
    console.log(`${name}: ${label}: cold ${ms[i]![0]?.toFixed(1)} ms, median ${median.toFixed(1)} ms (${describe(results[i] as T)})`);
  });
}

const buckets = (r: SeriesResult[]) => `${r.reduce((n, s) => n + s.points.length, 0)} buckets`;
const city = { assets, metric: 'speed_kmh', from: START, to: END, stepS: 900 };

async function reads(stores: Array<[string, Store]>): Promise<void> {
  await timedSideBySide('212 series, 7 days at 15 min (mean)', stores, (s) => s.series({ ...city, agg: 'mean' }), buckets);
  await timedSideBySide('212 series, 7 days at 15 min (last)', stores, (s) => s.series({ ...city, agg: 'last' }), buckets);
  await timedSideBySide('212 series, 7 days at 1 h (max)', stores, (s) => s.series({ ...city, stepS: 3_600, agg: 'max' }), buckets);
  await timedSideBySide('latest of 212 links', stores, (s) => s.latest('traffic'), (r) => `${r.length} assets`);
}

const influxd = await startInfluxd();
const dir = await mkdtemp(join(tmpdir(), 'cityhub-bench-'));
try {
  console.log(`${LINKS} links every ${INTERVAL / 1000} s for 7 days, 2 metrics per reading, batches of ${BATCH}`);
  const influx = createInfluxStore({ url: influxd.url, bucket: 'bench' });
  const duck = createDuckDbStore({ path: join(dir, 'bench.duckdb') });
  await influx.init();
  await duck.init();
  const conn = { url: influxd.url, db: 'bench_raw_only', rp: undefined, authorization: undefined, timeoutMs: 60_000, gzip: false };
  await fetch(`${influxd.url}/query`, { method: 'POST', body: new URLSearchParams({ q: 'CREATE DATABASE bench_raw_only' }) });
  await writeInterleaved([
    ['duckdb write (with rollups)', (b) => duck.write(b)],
    ['influxdb write (with rollups)', (b) => influx.write(b)],
    ['influxdb /write, raw lines only (no rollups)', (b) => writeV1(conn, b.map(pointLine).join('\n'), 'ms')],
  ]);
  await reads([['duckdb', duck], ['influxdb', influx]]);
  await duck.close();
  await influx.close();
} finally {
  await influxd.stop();
  await rm(dir, { recursive: true, force: true });
}
