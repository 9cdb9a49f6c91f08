// History in columns and compressed answers, on the real API over a DuckDB store seeded through ingest.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLUMNAR_MEDIA_TYPE, type SeriesColumnar, type SeriesResponse } from '@cityhub/contracts';
import { roundTo } from '@cityhub/store';
import { openSeeded, type Seeded } from '../testing/seed.js';
import { errorOf, openHarness, type Harness } from '../testing/harness.js';

describe('history in columns, and compression', () => {
  let h: Harness;
  let seeded: Seeded;
  beforeAll(async () => ({ h, seeded } = await openSeeded(4, 18)));
  afterAll(async () => h?.close());
  const get = (url: string, headers: Record<string, string> = {}) => h.app.inject({ method: 'GET', url, headers });

  it('answers a whole kind in columns: bucket times once, one rounded value array per asset aligned with them', async () => {
    const span = `from=${seeded.t0}&to=${seeded.t0 + 4 * 3_600_000}&step=15m`;
    for (const metric of ['speed_kmh', 'flow_veh_h']) {
      const [rows, cols, byAccept] = await Promise.all([
        get(`/api/v1/series?kind=traffic&metric=${metric}&${span}`),
        get(`/api/v1/series?kind=traffic&metric=${metric}&${span}&format=columnar`),
        get(`/api/v1/series?kind=traffic&metric=${metric}&${span}`, { accept: `${COLUMNAR_MEDIA_TYPE}, application/json;q=0.5` }),
      ]);
      expect(cols.statusCode).toBe(200);
      expect(cols.headers['content-type']).toMatch(COLUMNAR_MEDIA_TYPE);
      expect(cols.headers.vary).toMatch(/accept/);
      expect(byAccept.body).toBe(cols.body);
      const points = rows.json<SeriesResponse>();
      const c = cols.json<SeriesColumnar>();
      expect(c).toMatchObject({ metric, agg: 'mean', step_s: 900, from: points.from, to: points.to, digits: metric === 'flow_veh_h' ? 0 : 1 });
      expect(c.ts_ms).toHaveLength(16);
      expect(c.ts_ms.every((t, i) => t === Date.parse(points.from) + i * 900_000)).toBe(true);
      expect(c.series.map((s) => s.asset)).toEqual(points.series.map((s) => s.asset));
      // The same buckets as the points form, rounded; null where that form has none.
      points.series.forEach((s, k) => {
        const want = c.ts_ms.map((t) => s.points.find(([iso]) => Date.parse(iso) === t)?.[1] ?? null);
        expect(c.series[k]!.values).toEqual(want.map((v) => (v === null ? null : roundTo(v, c.digits))));
      });
      const buckets = points.series.reduce((n, s) => n + s.points.length, 0);
      expect(buckets).toBeGreaterThan(4 * 10);
      expect(c.series.flatMap((s) => s.values).filter((v) => v !== null)).toHaveLength(buckets);
    }
  });

  it('answers in points by default and for format=points, and refuses columns without a step', async () => {
    const base = `/api/v1/series?asset=link-1&metric=speed_kmh&from=${seeded.t0}&to=${seeded.t0 + 3_600_000}`;
    expect((await get(base, { accept: 'application/json' })).json()).toHaveProperty('series.0.points');
    expect((await get(`${base}&step=1h`, { accept: COLUMNAR_MEDIA_TYPE + ';q=0' })).json()).toHaveProperty('series.0.points');
    expect((await get(`${base}&step=1h&format=points`, { accept: COLUMNAR_MEDIA_TYPE })).json()).toHaveProperty('series.0.points');
    const refused = await get(`${base}&format=columnar`);
    expect(refused.statusCode).toBe(400);
    expect(errorOf(refused)).toMatchObject({ code: 'BAD_REQUEST' });
    expect(errorOf(refused).message).toMatch(/per step/);
  });

  it('compresses answers over 1 KiB with brotli or gzip when asked, with the headers that say so', async () => {
    const url = `/api/v1/series?kind=traffic&metric=speed_kmh&from=${seeded.t0}&to=${seeded.t0 + 4 * 3_600_000}&step=15m&format=columnar`;
    const plain = await get(url);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.rawPayload.length).toBeGreaterThan(1024);
    for (const [encoding, decode] of [['br', brotliDecompressSync], ['gzip', gunzipSync]] as const) {
      const r = await get(url, { 'accept-encoding': encoding === 'br' ? 'gzip;q=0.5, br' : 'gzip' });
      expect(r.headers['content-encoding']).toBe(encoding);
      expect(r.headers.vary).toMatch(/accept-encoding/);
      expect(r.headers['content-type']).toMatch(COLUMNAR_MEDIA_TYPE);
      expect(r.rawPayload.length).toBeLessThan(plain.rawPayload.length / 2);
      expect(decode(r.rawPayload).toString()).toBe(plain.body);
    }
    // Small answers and clients that ask for nothing go as they are.
    const small = await get('/healthz', { 'accept-encoding': 'br, gzip' });
    expect(small.headers['content-encoding']).toBeUndefined();
    expect((await get(url, { 'accept-encoding': 'identity' })).headers['content-encoding']).toBeUndefined();
  });

  it('compresses a streamed CSV export', async () => {
    const r = await get(`/api/v1/export?kind=traffic&from=${seeded.t0}&to=${seeded.t0 + 3 * 3_600_000}&format=csv`, { 'accept-encoding': 'gzip' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(r.rawPayload).toString()).toMatch(/^[^\n]*asset[^\n]*\n[^\n]*link-1/);
  });
});

describe('the dashboard served precompressed', () => {
  let dir: string;
  let h: Harness;
  const bundle = `console.log(${JSON.stringify('x'.repeat(4000))});\n`;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cityhub-dist-'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><html><script src="/app.js"></script></html>');
    await writeFile(join(dir, 'app.js'), bundle);
    // What the build writes beside the bundle (scripts/precompress.mjs), marked so that a test can tell them apart.
    await writeFile(join(dir, 'app.js.br'), brotliCompressSync(bundle + '//br\n'));
    await writeFile(join(dir, 'app.js.gz'), gzipSync(bundle + '//gz\n'));
    h = await openHarness({ dashboardDir: dir }, { memoryStore: true });
  });
  afterAll(async () => {
    await h?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the .br or .gz file the build wrote to a client that accepts it, and the file itself to others', async () => {
    const get = (encoding?: string) => h.app.inject({ method: 'GET', url: '/app.js', headers: encoding ? { 'accept-encoding': encoding } : {} });
    const br = await get('br, gzip');
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toMatch(/javascript/);
    expect(br.headers.vary).toMatch(/accept-encoding/);
    expect(brotliDecompressSync(br.rawPayload).toString()).toBe(bundle + '//br\n');
    const gz = await get('gzip');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.rawPayload).toString()).toBe(bundle + '//gz\n');
    const plain = await get();
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(await readFile(join(dir, 'app.js'), 'utf8'));
    // The compressed copies are no pages of their own.
    expect((await h.app.inject({ method: 'GET', url: '/app.js.br' })).statusCode).toBe(404);
  });
});
