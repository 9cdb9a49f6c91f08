// Measures /api/v1/export on a month of readings of every road link: rows per second and the process's
// peak RSS while a client downloads it over real HTTP. Run after `npx tsc -b api`:
//   node --expose-gc api/bench/export-month.mjs [--every-min 5] [--step 5m] [--days 30]
// The store is a DuckDB file in a temporary directory, so that the process's RSS is mostly the API's.
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get } from 'node:http';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { parseArgs } from 'node:util';
import { buildApp } from '@cityhub/api';
import { loadBoundary, loadCatalogue } from '@cityhub/contracts/catalogue';
import { createDuckDbStore } from '@cityhub/store';

const { values: args } = parseArgs({ options: { 'every-min': { type: 'string', default: '5' }, step: { type: 'string', default: '5m' }, days: { type: 'string', default: '30' } } });
const every = Number(args['every-min']);
const days = Number(args.days);
const T0 = Date.UTC(2026, 0, 1);
const catalogue = loadCatalogue();
const links = catalogue.features.filter((f) => f.properties.kind === 'traffic').map((f) => f.id);

const dir = mkdtempSync(join(tmpdir(), 'cityhub-bench-'));
const store = createDuckDbStore({ path: join(dir, 'store.duckdb') });
await store.init();
let t = performance.now();
for (let d = 0; d < days; d++) {
  const points = [];
  links.forEach((asset, a) => {
    for (let m = d * 1440; m < (d + 1) * 1440; m += every) {
      points.push({ kind: 'traffic', asset, device: `tr-${a}`, ts: T0 + m * 60_000, seq: m, values: { speed_kmh: 20 + ((a * 7 + m) % 60), flow_veh_h: (a + m) % 900 } });
    }
  });
  await store.write(points);
}
console.log(`wrote ${links.length} links × ${days} days every ${every} min (${(links.length * days * 1440) / every} readings, 2 metrics) in ${((performance.now() - t) / 1000).toFixed(1)} s`);

const app = await buildApp({ store, catalogue, boundary: loadBoundary(), live: new EventEmitter(), rateLimitPerMin: 0, exportLimits: { maxRows: 10_000_000 } });
await app.listen({ host: '127.0.0.1', port: 0 });
const port = app.server.address().port;

// The same export over a day, a week and the month: what the process holds must not grow with the range.
for (const format of ['csv', 'geojson', 'parquet']) for (const range of [1, 7, days]) {
  globalThis.gc?.();
  const baseline = process.memoryUsage();
  let peak = baseline.rss;
  let peakHeap = baseline.heapUsed;
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 10);
  // What the JS heap holds (after a full collection), twice a second: garbage not yet collected is not held.
  const heapSampler = setInterval(() => {
    globalThis.gc?.();
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 500);
  t = performance.now();
  const { bytes, firstByteMs } = await new Promise((resolve, reject) => {
    get(`http://127.0.0.1:${port}/api/v1/export?kind=traffic&from=${T0}&to=${T0 + range * 86_400_000}&step=${args.step}&format=${format}`, (res) => {
      if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
      const firstByteMs = performance.now() - t;
      let bytes = 0;
      res.on('data', (c) => { bytes += c.length; });
      res.on('end', () => resolve({ bytes, firstByteMs }));
      res.on('error', reject);
    }).on('error', reject);
  });
  clearInterval(sampler);
  clearInterval(heapSampler);
  const s = (performance.now() - t) / 1000;
  const rows = (links.length * range * 1440) / Math.max(every, Number.parseInt(args.step, 10));
  console.log(`${format} ${range} d: ${rows} rows, ${(bytes / 1e6).toFixed(1)} MB in ${s.toFixed(1)} s = ${Math.round(rows / s)} rows/s; ` +
    `first byte after ${(firstByteMs / 1000).toFixed(2)} s; RSS ${(baseline.rss / 2 ** 20).toFixed(0)} MiB before, peak ${(peak / 2 ** 20).toFixed(0)} MiB (+${((peak - baseline.rss) / 2 ** 20).toFixed(0)}); ` +
    `JS heap held ${(baseline.heapUsed / 2 ** 20).toFixed(0)} MiB before, at most ${(peakHeap / 2 ** 20).toFixed(0)} MiB during`);
}
await app.close();
await store.close();
rmSync(dir, { recursive: true, force: true });
