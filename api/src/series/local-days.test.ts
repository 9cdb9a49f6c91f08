import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KpiList, SeriesResponse } from '@cityhub/contracts';
import type { Point } from '@cityhub/store';
import { errorOf, openHarness, type Harness } from '../../testing/harness.js';

const MIN = 60_000;
const iso = (s: string) => new Date(s).toISOString();
/** Power of one reading: distinct per reading, so that sums and means check which readings a bucket holds. */
const powerAt = (ts: number) => 10 + ((ts / (15 * MIN)) % 7);

/** A reading of `power_kw` every 15 minutes over [from, to) for one building. */
function power(asset: string, from: number, to: number): Point[] {
  const out: Point[] = [];
  for (let t = from, seq = 0; t < to; t += 15 * MIN) out.push({ kind: 'energy', asset, device: `pw-${asset}`, ts: t, seq: seq++, values: { power_kw: powerAt(t) } });
  return out;
}

/** The same from raw readings: count, sum and mean of the readings in [from, to). */
function recompute(points: readonly Point[], from: number, to: number) {
  const vs = points.filter((p) => p.ts >= from && p.ts < to).map((p) => p.values.power_kw!);
  const sum = vs.reduce((s, v) => s + v, 0);
  return { count: vs.length, sum, mean: sum / vs.length };
}

describe('local calendar days in /series, /export and /kpis (tz)', () => {
  let h: Harness;
  let building: string;
  const written: Point[] = [];
  const get = async <T>(url: string) => {
    const r = await h.app.inject({ url });
    expect(r.statusCode, r.body).toBe(200);
    return r.json<T>();
  };
  const series = (q: string) => get<SeriesResponse>(`/api/v1/series?asset=${building}&metric=power_kw&${q}`);

  beforeAll(async () => {
    h = await openHarness({ timeZone: 'Europe/Athens' }, { memoryStore: true });
    building = h.deps.catalogue.features.find((f) => f.properties.kind === 'energy')!.id;
    // Around the last Sunday of March (29th), of October (25th) and in early December 2026, in UTC.
    for (const [from, to] of [['2026-03-27T00:00Z', '2026-04-01T00:00Z'], ['2026-10-23T00:00Z', '2026-10-28T00:00Z'], ['2026-11-29T00:00Z', '2026-12-05T00:00Z']]) {
      written.push(...power(building, Date.parse(from!), Date.parse(to!)));
    }
    await h.store.write(written);
  });
  afterAll(() => h.close());

  it('gives two buckets starting at local midnights for 2026-12-01 to 2026-12-03 in Europe/Athens', async () => {
    const r = await series('from=2026-12-01&to=2026-12-03&step=1d&tz=Europe/Athens&agg=count');
    expect(r).toMatchObject({ tz: 'Europe/Athens', from: iso('2026-11-30T22:00Z'), to: iso('2026-12-02T22:00Z'), note: null });
    expect(r.buckets).toEqual([{ start: iso('2026-11-30T22:00Z'), hours: 24 }, { start: iso('2026-12-01T22:00Z'), hours: 24 }]);
    expect(r.series[0]!.points).toEqual([[iso('2026-11-30T22:00Z'), 96], [iso('2026-12-01T22:00Z'), 96]]);
    // UTC days when asked for.
    const utc = await series('from=2026-12-01&to=2026-12-03&step=1d&tz=UTC&agg=count');
    expect(utc.series[0]!.points.map((p) => p[0])).toEqual([iso('2026-12-01T00:00Z'), iso('2026-12-02T00:00Z')]);
    expect(utc.tz).toBe('UTC');
  });

  it('has a 23-hour day on the last Sunday of March and a 25-hour one on the last Sunday of October, and says so', async () => {
    for (const [from, to, starts, hours] of [
      ['2026-03-28', '2026-03-31', ['2026-03-27T22:00Z', '2026-03-28T22:00Z', '2026-03-29T21:00Z', '2026-03-30T21:00Z'], [24, 23, 24]],
      ['2026-10-24', '2026-10-27', ['2026-10-23T21:00Z', '2026-10-24T21:00Z', '2026-10-25T22:00Z', '2026-10-26T22:00Z'], [24, 25, 24]],
    ] as const) {
      const edges = starts.map(Date.parse);
      for (const agg of ['count', 'sum', 'mean', 'min', 'max', 'last'] as const) {
        const r = await series(`from=${from}&to=${to}&step=1d&agg=${agg}`);
        expect(r.buckets).toEqual(hours.map((n, i) => ({ start: iso(starts[i]!), hours: n })));
        expect(r.note).toMatch(new RegExp(`${from.slice(0, 8)}(29|25) has (23|25) hours`));
        const want = hours.map((_, i) => {
          const inDay = written.filter((p) => p.ts >= edges[i]! && p.ts < edges[i + 1]!).map((p) => p.values.power_kw!);
          const all = { ...recompute(written, edges[i]!, edges[i + 1]!), min: Math.min(...inDay), max: Math.max(...inDay), last: inDay.at(-1)! };
          return [new Date(edges[i]!).toISOString(), all[agg]];
        });
        expect(r.series[0]!.points.map(([t, v]) => [t, Math.round(v * 1e9) / 1e9])).toEqual(want.map(([t, v]) => [t, Math.round((v as number) * 1e9) / 1e9]));
      }
      const counts = (await series(`from=${from}&to=${to}&step=1d&agg=count`)).series[0]!.points.map((p) => p[1]);
      expect(counts).toEqual(hours.map((n) => n * 4));
    }
  });

  it('uses the configured zone by default and states it; a bad tz is a 400 naming the parameter', async () => {
    const r = await series('from=2026-12-01&to=2026-12-02&step=1h&agg=count');
    expect(r).toMatchObject({ tz: 'Europe/Athens', from: iso('2026-11-30T22:00Z'), buckets: null });
    expect(r.series[0]!.points).toHaveLength(24);
    for (const url of [
      `/api/v1/series?asset=${building}&metric=power_kw&step=1d&tz=Mars/Olympus`,
      '/api/v1/export?kind=energy&tz=Europe/Thessaloniki',
      '/api/v1/kpis?tz=nowhere',
    ]) {
      const bad = await h.app.inject({ url });
      expect(bad.statusCode).toBe(400);
      expect(errorOf(bad).message).toMatch(/^tz: tz must be an IANA time zone/);
    }
  });

  it('exports local days (CSV and GeoJSON) and reads bare dates in /kpis as local midnights', async () => {
    const csv = await h.app.inject({ url: '/api/v1/export?kind=energy&from=2026-03-28&to=2026-03-31&step=1d&agg=count' });
    expect(csv.statusCode, csv.body).toBe(200);
    expect(csv.headers['x-time-zone']).toBe('Europe/Athens');
    const rows = csv.body.split('\r\n').filter((l) => l.includes(`,${building},`));
    expect(rows.map((l) => l.split(',')[0])).toEqual(['2026-03-27T22:00:00.000Z', '2026-03-28T22:00:00.000Z', '2026-03-29T21:00:00.000Z']);
    const geo = await get<{ tz: string; features: Array<{ id: string; properties: { buckets: Array<{ ts: string; power_kw: number }> } }> }>(
      '/api/v1/export?kind=energy&from=2026-10-24&to=2026-10-27&step=1d&agg=count&format=geojson');
    expect(geo.tz).toBe('Europe/Athens');
    expect(geo.features.find((f) => f.id === building)!.properties.buckets.map((b) => b.power_kw)).toEqual([96, 100, 96]);
    const kpis = await get<KpiList>('/api/v1/kpis?from=2026-12-01&to=2026-12-02');
    expect(kpis).toMatchObject({ from: iso('2026-11-30T22:00Z'), to: iso('2026-12-01T22:00Z'), tz: 'Europe/Athens' });
    const utc = await get<KpiList>('/api/v1/kpis?from=2026-12-01&to=2026-12-02&tz=UTC');
    expect(utc).toMatchObject({ from: iso('2026-12-01T00:00Z'), tz: 'UTC' });
  });
});
