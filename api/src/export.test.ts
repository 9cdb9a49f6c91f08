import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { EventEmitter } from 'node:events';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportCollection, type AssetFeature } from '@cityhub/contracts';
import { loadCatalogue } from '@cityhub/contracts/catalogue';
import { createDuckDbStore, type Point } from '@cityhub/store';
import { buildApp } from './app.js';
import { openHarness, errorOf, type Harness } from '../testing/harness.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heap = () => {
  gc();
  return process.memoryUsage().heapUsed;
};

const DAY = 86_400_000;
const MIN = 60_000;
/** A month of readings every 2 minutes: January 2026 (the store's writes bound how much a test can load). */
const T0 = Date.UTC(2026, 0, 1);
const T1 = T0 + 30 * DAY;
const LINKS = 20;
const EVERY = 2;
const speedAt = (a: number, minute: number) => 20 + ((a * 7 + minute) % 60);

/** A CSV line split into fields (RFC 4180 quoting). */
function csvLine(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') field += line[++i];
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out;
}

/** Rows of a CSV export keyed `asset|bucket_start`, each the metric columns as numbers (null where empty). */
function csvRows(text: string): { header: string[]; rows: Map<string, Array<number | null>>; records: string[][] } {
  const lines = text.split('\r\n');
  expect(lines.pop()).toBe('');
  const header = lines.shift()!.split(',');
  const first = header.indexOf('readings_simulated') + 1;
  const records = lines.map(csvLine);
  const rows = new Map<string, Array<number | null>>();
  expect(records.filter((r) => r.length !== header.length)).toEqual([]);
  for (const r of records) rows.set(`${r[1]}|${Date.parse(r[0]!)}`, r.slice(first).map((v) => (v === '' ? null : Number(v))));
  return { header, rows, records };
}

/** GETs over real HTTP; resolves with the response, unread. */
function request(url: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => httpGet(url, resolve).on('error', reject));
}

describe('GET /export on a month of readings of 20 links, every 2 minutes', () => {
  let h: Harness;
  let links: AssetFeature[];
  let base: string;

  beforeAll(async () => {
    h = await openHarness({ exportLimits: { maxRows: 10_000_000 } }, { memoryStore: true });
    links = h.deps.catalogue.features.filter((f) => f.properties.kind === 'traffic').slice(0, LINKS);
    // Written straight into the store, a day at a time (the store keeps the rollups as it writes).
    for (let d = 0; d < 30; d++) {
      const points: Point[] = [];
      links.forEach((l, a) => {
        for (let m = d * 1440; m < (d + 1) * 1440; m += EVERY) points.push({ kind: 'traffic', asset: l.id, device: `tr-load-${a}`, ts: T0 + m * MIN, seq: m, values: { speed_kmh: speedAt(a, m) } });
      });
      await h.store.write(points);
    }
    // The last day of two links also carries the other metrics, so that every column is exercised.
    const more: Point[] = [];
    for (const [a, l] of links.slice(0, 2).entries()) {
      for (let m = 29 * 1440; m < 30 * 1440; m += 10) {
        more.push({ kind: 'traffic', asset: l.id, device: `tr-load-${a}`, ts: T0 + m * MIN, seq: m, values: { speed_kmh: speedAt(a, m), travel_time_s: 60 + a, flow_veh_h: m % 700, occupancy_pct: (m % 1000) / 10 } });
      }
    }
    await h.store.write(more);
    await h.registry.add({ kind: 'traffic', asset: links[0]!.id, id: 'tr-sim-export', simulated: true });
    await h.registry.add({ kind: 'traffic', asset: links[1]!.id, id: 'tr-real-export' });
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = h.app.server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  }, 120_000);
  afterAll(async () => h.close());

  it('streams 432,000 CSV rows to a slow reader in flat memory', async () => {
    const before = heap();
    const res = await request(`${base}/api/v1/export?kind=traffic&from=${T0}&to=${T1}&step=2m&format=csv`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['transfer-encoding']).toBe('chunked');
    let bytes = 0;
    let lines = 0;
    let peak = 0;
    let nextSample = 0;
    let paused = false;
    await new Promise<void>((resolve, reject) => {
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
        if (!paused && bytes > 1 << 20) {
          // A reader that stops for a while: the server must wait for it rather than read on into memory.
          paused = true;
          res.pause();
          setTimeout(() => {
            peak = Math.max(peak, heap() - before);
            res.resume();
          }, 700);
        }
        if (bytes >= nextSample) {
          peak = Math.max(peak, heap() - before);
          nextSample += 16 << 20;
        }
      });
      res.on('end', resolve);
      res.on('error', reject);
    });
    expect(lines).toBe(1 + LINKS * 30 * 1440 / EVERY);
    expect(bytes).toBeGreaterThan(48e6);
    // What the process holds while sending it stays a fraction of the whole answer.
    expect(peak).toBeLessThan(16 << 20);
  }, 60_000);

  it('gives the same numbers in CSV, GeoJSON and Parquet, and the right ones', async () => {
    const q = `kind=traffic&from=${T0}&to=${T1}&step=1h&agg=mean`;
    const csv = await h.app.inject({ url: `/api/v1/export?${q}&format=csv` });
    const geo = await h.app.inject({ url: `/api/v1/export?${q}&format=geojson` });
    const pq = await h.app.inject({ url: `/api/v1/export?${q}&format=parquet` });
    for (const r of [csv, geo, pq]) expect(r.statusCode).toBe(200);
    const fromCsv = csvRows(csv.body);
    expect(fromCsv.header).toEqual(['bucket_start', 'asset', 'name', 'length_m', 'free_flow_kmh', 'free_flow_assumed', 'asset_simulated', 'readings_simulated',
      'speed_kmh', 'travel_time_s', 'flow_veh_h', 'occupancy_pct']);
    expect(fromCsv.rows.size).toBe(LINKS * 30 * 24);
    // GeoJSON: RFC 7946 (a FeatureCollection, lon/lat in Thessaloniki, no crs), every link once.
    const collection = ExportCollection.parse(geo.json());
    expect(collection).not.toHaveProperty('crs');
    const traffic = h.deps.catalogue.features.filter((f) => f.properties.kind === 'traffic');
    expect(collection.features.map((f) => f.id)).toEqual(traffic.map((f) => f.id));
    const fromGeo = new Map<string, Array<number | null>>();
    const wrong: string[] = [];
    for (const f of collection.features) {
      if (f.geometry.type !== 'LineString') wrong.push(`${f.id} is a ${f.geometry.type}`);
      // Longitude first: Thessaloniki is at about 22.9° E, 40.6° N.
      for (const [lon, lat] of f.geometry.coordinates as Array<[number, number]>) {
        if (!(lon > 22.7 && lon < 23.2 && lat > 40.4 && lat < 40.8)) wrong.push(`${f.id} has ${lon},${lat}`);
      }
      let last = -Infinity;
      for (const b of f.properties.buckets) {
        const t = Date.parse(b.ts);
        if (!(t > last)) wrong.push(`${f.id} has ${b.ts} after ${last}`);
        last = t;
        fromGeo.set(`${f.id}|${t}`, collection.metrics.map((m) => b[m] as number | null));
      }
    }
    expect(wrong).toEqual([]);
    // Parquet, read back by DuckDB.
    const dir = await mkdtemp(join(tmpdir(), 'cityhub-api-pq-'));
    const file = join(dir, 'export.parquet');
    await writeFile(file, pq.rawPayload);
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      const rows = (await conn.runAndReadAll(`SELECT asset, epoch_ms(bucket_start) AS t, speed_kmh, travel_time_s, flow_veh_h, occupancy_pct FROM read_parquet('${file}')`)).getRows();
      const columns = (await conn.runAndReadAll(`SELECT name FROM parquet_schema('${file}') WHERE name <> 'duckdb_schema'`)).getRows().map((r) => String(r[0]));
      expect(columns).toEqual(fromCsv.header);
      const fromParquet = new Map(rows.map((r) => [`${String(r[0])}|${Number(r[1])}`, r.slice(2).map((v) => (v === null ? null : Number(v)))]));
      expect(fromParquet.size).toBe(fromCsv.rows.size);
      expect(fromParquet).toEqual(fromCsv.rows);
      // The same order too: buckets in time order, assets in catalogue order within a bucket.
      expect([...fromParquet.keys()]).toEqual([...fromCsv.rows.keys()]);
      expect(fromGeo).toEqual(fromCsv.rows);
      const kv = Object.fromEntries((await conn.runAndReadAll(`SELECT decode(key), decode(value) FROM parquet_kv_metadata('${file}')`)).getRows().map((r) => [String(r[0]), String(r[1])]));
      expect(kv).toMatchObject({ licence: 'CC-BY-4.0', licence_url: 'https://creativecommons.org/licenses/by/4.0/', kind: 'traffic', step_s: '3600', agg: 'mean' });
      expect(kv.attribution).toContain('CERTH-HIT');
    } finally {
      conn.closeSync();
      db.closeSync();
      await rm(dir, { recursive: true, force: true });
    }

    // The numbers themselves: the mean of an hour's speeds, and the other metrics where they were sent.
    for (const [a, hour] of [[0, 0], [7, 345], [19, 719], [1, 700]] as const) {
      const minutes = Array.from({ length: 60 }, (_, i) => hour * 60 + i).filter((m) => m % EVERY === 0);
      const speed = minutes.reduce((s, m) => s + speedAt(a, m), 0) / minutes.length;
      const row = fromCsv.rows.get(`${links[a]!.id}|${T0 + hour * 3_600_000}`)!;
      expect(row[0]).toBeCloseTo(speed, 9);
      if (a === 1 && hour === 700) expect(row.slice(1)).toEqual([61, expect.any(Number), expect.any(Number)]);
      else expect(row.slice(1)).toEqual([null, null, null]);
    }
  }, 60_000);

  it('writes Parquet with Snappy, which a reader without ZSTD (hyparquet) opens: the same rows as the CSV', async () => {
    const q = `kind=traffic&from=${T0 + 29 * DAY}&to=${T1}&step=1h&agg=mean`;
    const csv = csvRows((await h.app.inject({ url: `/api/v1/export?${q}&format=csv` })).body);
    const pq = await h.app.inject({ url: `/api/v1/export?${q}&format=parquet` });
    expect(pq.statusCode).toBe(200);
    const buf = pq.rawPayload;
    const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    const meta = parquetMetadata(file);
    const codecs = new Set(meta.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data?.codec)));
    expect([...codecs]).toEqual(['SNAPPY']);
    // hyparquet alone decodes Snappy only (ZSTD needs hyparquet-compressors): reading every row proves the codec.
    const rows = await parquetReadObjects({ file });
    expect(rows).toHaveLength(csv.rows.size);
    const metrics = ['speed_kmh', 'travel_time_s', 'flow_veh_h', 'occupancy_pct'];
    const fromParquet = new Map(rows.map((r) => [`${String(r.asset)}|${(r.bucket_start as Date).getTime()}`, metrics.map((m) => (r[m] ?? null) as number | null)]));
    expect(fromParquet).toEqual(csv.rows);
  });

  it('joins the asset attributes and says what is simulated', async () => {
    const r = await h.app.inject({ url: `/api/v1/export?kind=traffic&from=${T1 - DAY}&to=${T1}&step=1h` });
    const { header, records } = csvRows(r.body);
    const col = (name: string) => header.indexOf(name);
    const byAsset = new Map(records.map((rec) => [rec[1]!, rec]));
    for (const l of links) {
      const rec = byAsset.get(l.id)!;
      const p = l.properties as { name: string; length_m: number; free_flow_kmh: number };
      expect(rec[col('name')]).toBe(p.name);
      expect(Number(rec[col('length_m')])).toBe(p.length_m);
      expect(Number(rec[col('free_flow_kmh')])).toBe(p.free_flow_kmh);
      expect(rec[col('asset_simulated')]).toBe('false');
    }
    expect(byAsset.get(links[0]!.id)![col('readings_simulated')]).toBe('true');
    expect(byAsset.get(links[1]!.id)![col('readings_simulated')]).toBe('false');
    expect(byAsset.get(links[2]!.id)![col('readings_simulated')]).toBe('');
    const wifi = ExportCollection.parse((await h.app.inject({ url: '/api/v1/export?kind=wifi&format=geojson' })).json());
    expect(wifi.features).toHaveLength(20);
    const hotspot = wifi.features[0]!.properties;
    expect(hotspot).toMatchObject({ asset_simulated: true, buckets: [] });
    expect([typeof hotspot.venue, typeof hotspot.capacity]).toEqual(['string', 'number']);
  });

  it('carries the licence and the attribution with every format', async () => {
    for (const format of ['csv', 'geojson', 'parquet']) {
      const r = await h.app.inject({ url: `/api/v1/export?kind=energy&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&format=${format}` });
      expect(r.statusCode).toBe(200);
      expect(r.headers.link).toBe('<https://creativecommons.org/licenses/by/4.0/>; rel="license"');
      expect(r.headers['x-attribution']).toBe(h.deps.catalogue.attribution);
      expect(r.headers['content-disposition']).toBe(`attachment; filename="cityhub-energy-20260101T0000Z-20260102T0000Z-15m-mean.${format}"`);
      expect(r.headers['content-type']).toMatch({ csv: /^text\/csv/, geojson: /^application\/geo\+json/, parquet: /^application\/vnd\.apache\.parquet/ }[format]!);
    }
    const geo = (await h.app.inject({ url: '/api/v1/export?kind=energy&format=geojson' })).json<{ licence: unknown; attribution: string }>();
    expect(geo.licence).toEqual({ name: 'CC-BY-4.0', url: 'https://creativecommons.org/licenses/by/4.0/' });
    expect(geo.attribution).toBe(h.deps.catalogue.attribution);
  });

  it.each([
    ['', 400, /kind/],
    ['kind=trams', 400, /kind/],
    ['kind=traffic&step=30s', 400, /at least 60 s/],
    ['kind=traffic&step=soon', 400, /step must be like/],
    ['kind=traffic&from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', 400, /from must be before to/],
    ['kind=traffic&from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z&step=1d', 400, /at most 366 days/],
    ['kind=traffic&from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z&step=1m', 400, /more than 10000000 rows/],
    ['kind=traffic&format=xlsx', 400, /format/],
    ['kind=traffic&agg=median', 400, /agg/],
    ['kind=traffic&limit=5', 400, /Unrecognized key/],
  ])('?%s → %i', async (qs, status, message) => {
    const r = await h.app.inject({ url: `/api/v1/export?${qs}` });
    expect(r.statusCode).toBe(status);
    expect(errorOf(r).code).toBe('BAD_REQUEST');
    expect(errorOf(r).message).toMatch(message);
    expect(r.headers['content-disposition']).toBeUndefined();
  });

  it('keeps a meter counter at its last value where a mean would mean nothing', async () => {
    const b = h.deps.catalogue.features.find((f) => f.properties.kind === 'energy')!.id;
    await h.store.write([0, 1, 2, 3].map((i) => ({ kind: 'energy' as const, asset: b, device: 'en-x', ts: T0 + i * 5 * MIN, seq: i, values: { power_kw: 10 * i, energy_kwh: 100 + i } })));
    const r = await h.app.inject({ url: `/api/v1/export?kind=energy&from=${T0}&to=${T0 + 3_600_000}&step=1h&agg=mean` });
    const row = csvRows(r.body).rows.get(`${b}|${T0}`);
    expect(row).toEqual([15, 103]);
  });

  it('answers 503 before any byte when the store is down, and leaves no temporary file behind', async () => {
    const store = createDuckDbStore({ path: ':memory:' });
    await store.init();
    await store.close();
    const app = await buildApp({ store, catalogue: loadCatalogue(), boundary: {}, live: new EventEmitter() });
    // A temporary directory of this test's own: other test files (other processes) export into the system's at the same time.
    const tmp = await mkdtemp(join(tmpdir(), 'cityhub-export-test-'));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      for (const format of ['csv', 'geojson', 'parquet']) {
        const r = await app.inject({ url: `/api/v1/export?kind=wifi&format=${format}` });
        expect(r.statusCode).toBe(503);
        expect(errorOf(r).code).toBe('UNAVAILABLE');
        expect(r.headers['content-disposition']).toBeUndefined();
      }
      expect(await readdir(tmp)).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      await app.close();
      await rm(tmp, { recursive: true, force: true });
    }
  });

  it('serves a bounded number of exports at once and frees the place of a client that went away', async () => {
    const app = await buildApp({ ...h.deps, exportLimits: { maxConcurrent: 1, maxRows: 10_000_000 } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/api/v1/export?kind=traffic&from=${T0}&to=${T1}&step=1m`;
    try {
      const first = await request(url);
      expect(first.statusCode).toBe(200);
      first.pause();
      const second = await app.inject({ url: `/api/v1/export?kind=wifi` });
      expect(second.statusCode).toBe(503);
      expect(second.headers['retry-after']).toBe('30');
      expect(errorOf(second).message).toMatch(/1 exports are running/);
      // The first client goes away mid-stream: its place is freed.
      first.destroy();
      await expect.poll(async () => (await app.inject({ url: `/api/v1/export?kind=wifi` })).statusCode, { timeout: 5_000 }).toBe(200);
      expect((await app.inject({ url: `/api/v1/export?kind=wifi&format=parquet` })).statusCode).toBe(200);
      expect((await app.inject({ url: `/api/v1/export?kind=wifi` })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});
