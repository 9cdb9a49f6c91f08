/**
 * A quick measurement of the DuckDB store, not a test: `npx tsx store/bench/duckdb-write.ts`.
 * Writes POINTS readings (default 500,000; two metrics each) of 500 road links spread over 30 days, in
 * batches of 5,000, then one reading each of 9,500 more links (10,000 assets in all), and times the reads
 * the dashboard makes. Each read is run 5 times; the first (cold) and the median are printed.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { createDuckDbStore, type Point } from '../src/index.js';

const POINTS = Number(process.env.POINTS ?? 500_000);
const BATCH = 5_000;
const BUSY = 500;
const ALL = 10_000;
const DAY = 86_400_000;
const END = Date.UTC(2024, 5, 1);
const START = END - 30 * DAY;
const perAsset = Math.ceil(POINTS / BUSY);
const interval = Math.floor((30 * DAY) / perAsset);
const link = (i: number) => `L${String(i).padStart(5, '0')}`;

async function timed<T>(label: string, run: () => Promise<T>, describe: (r: T) => string): Promise<void> {
  const ms: number[] = [];
  let result: T | undefined;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    result = await run();
    ms.push(performance.now() - t);
  }
  const median = [...ms].sort((a, b) => a - b)[2] ?? 0;
  console.log(`${label}: cold ${ms[0]?.toFixed(1)} ms, median ${median.toFixed(1)} ms (${describe(result as T)})`);
}

const dir = await mkdtemp(join(tmpdir(), 'cityhub-bench-'));
const file = join(dir, 'bench.duckdb');
try {
  const store = createDuckDbStore({ path: file });
  await store.init();
  console.log(`${POINTS} points (2 metrics each) of ${BUSY} links every ${(interval / 60_000).toFixed(1)} min over 30 days, batches of ${BATCH}`);
  let batch: Point[] = [];
  let written = 0;
  const t0 = performance.now();
  for (let k = 0; k < perAsset && written < POINTS; k++) {
    for (let a = 0; a < BUSY && written < POINTS; a++, written++) {
      batch.push({ kind: 'traffic', asset: link(a), device: `d${a}`, ts: START + k * interval, seq: k,
        values: { speed_kmh: 20 + ((a + k) % 60), flow_veh_h: 200 + ((a * k) % 900) } });
      if (batch.length === BATCH) {
        await store.write(batch);
        batch = [];
      }
    }
  }
  if (batch.length) await store.write(batch);
  const s = (performance.now() - t0) / 1000;
  console.log(`write: ${written} points in ${s.toFixed(1)} s = ${Math.round(written / s)} points/s (${Math.round((2 * written) / s)} rows/s)`);
  const rest: Point[] = [];
  for (let a = BUSY; a < ALL; a++) rest.push({ kind: 'traffic', asset: link(a), device: `d${a}`, ts: END - (a % 600) * 1000, seq: 1, values: { speed_kmh: 50 } });
  for (let i = 0; i < rest.length; i += BATCH) await store.write(rest.slice(i, i + BATCH));

  await timed('one series, 30 days at 15 min (mean)',
    () => store.series({ assets: [link(7)], metric: 'speed_kmh', from: START, to: END, stepS: 900, agg: 'mean' }),
    (r) => `${r[0]?.points.length} buckets`);
  const five = Array.from({ length: BUSY }, (_, i) => link(i));
  await timed('500 series, 7 days at 15 min (mean)',
    () => store.series({ assets: five, metric: 'speed_kmh', from: END - 7 * DAY, to: END, stepS: 900, agg: 'mean' }),
    (r) => `${r.reduce((n, x) => n + x.points.length, 0)} buckets`);
  await timed('500 series, 7 days at 15 min (last)',
    () => store.series({ assets: five, metric: 'speed_kmh', from: END - 7 * DAY, to: END, stepS: 900, agg: 'last' }),
    (r) => `${r.reduce((n, x) => n + x.points.length, 0)} buckets`);
  await timed('one series, 1 day raw', () => store.series({ assets: [link(7)], metric: 'speed_kmh', from: END - DAY, to: END }),
    (r) => `${r[0]?.points.length} points`);
  await timed('latest of 10,000 assets (latest table)', () => store.latest('traffic'), (r) => `${r.length} assets`);
  await store.close();
  console.log(`file: ${((await stat(file)).size / 1e6).toFixed(1)} MB`);

  // The alternative the store does not use: latest by a window query over raw.
  const db = await DuckDBInstance.create(file);
  const conn = await db.connect();
  await timed('latest of 10,000 assets (window query over raw, for comparison)', async () => (await conn.runAndReadAll(`
    SELECT asset, device, ts, metric, value FROM raw
    WHERE kind = 'traffic'
    QUALIFY dense_rank() OVER (PARTITION BY asset ORDER BY ts DESC, device DESC) = 1`)).getRows(), (r) => `${r.length} rows`);
  conn.closeSync();
  db.closeSync();
} finally {
  await rm(dir, { recursive: true, force: true });
}
