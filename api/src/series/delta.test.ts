import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cityClock, type SeriesResponse } from '@cityhub/contracts';
import type { Point } from '@cityhub/store';
import { errorOf, openHarness, type Harness } from '../../testing/harness.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.parse('2026-11-29T00:00Z');
/** A gap in the readings across local midnight (21:00 to 05:00 in Athens) and a meter replaced mid-hour. */
const GAP = [Date.parse('2026-12-01T19:00Z'), Date.parse('2026-12-02T03:00Z')] as const;
const OLD_LAST = Date.parse('2026-12-03T08:15Z');
const INSTALLED = Date.parse('2026-12-03T08:20Z');
const END = Date.parse('2026-12-06T00:00Z');
/** The building's true cumulative use in kWh at `t`: 30 kW with a step every hour, never decreasing. */
const used = (t: number) => {
  const h = (t - T0) / HOUR;
  return 30 * h + 5 * Math.floor(h);
};

/** The meter readings: the old meter (`meter-a`, from 1000 kWh) until it is replaced, then the new one (`meter-b`) from 0. */
function readings(asset: string): Point[] {
  const out: Point[] = [];
  let seq = 0;
  for (let t = T0; t < END; t += 15 * MIN) {
    if (t >= GAP[0] && t < GAP[1]) continue;
    if (t <= OLD_LAST) out.push({ kind: 'energy', asset, device: 'meter-a', ts: t, seq: seq++, values: { energy_kwh: 1000 + used(t) } });
    else if (t > INSTALLED) out.push({ kind: 'energy', asset, device: 'meter-b', ts: t, seq: seq++, values: { energy_kwh: used(t) - used(INSTALLED) } });
  }
  // The new meter's first reading comes half way through its first quarter hour.
  out.push({ kind: 'energy', asset, device: 'meter-b', ts: INSTALLED + 25 * MIN, seq, values: { energy_kwh: used(INSTALLED + 25 * MIN) - used(INSTALLED) } });
  return out.sort((a, b) => a.ts - b.ts);
}

/**
 * Energy used per local day recomputed from raw readings, by the documented rule: each reading adds its
 * increase over the reading before on the same meter; a new meter's first reading adds its whole count.
 */
function recompute(points: readonly Point[], from: number, to: number, bucketOf: (t: number) => number): Map<number, number> {
  const out = new Map<number, number>();
  let prev: Point | undefined;
  for (const p of points) {
    const v = p.values.energy_kwh!;
    const inc = !prev ? 0 : prev.device === p.device ? v - prev.values.energy_kwh! : v;
    prev = p;
    if (p.ts < from || p.ts >= to) continue;
    const b = bucketOf(p.ts);
    out.set(b, (out.get(b) ?? 0) + inc);
  }
  return out;
}

const round = (m: Map<number, number> | Array<[number, number]>) => [...m].map(([t, v]) => [new Date(t).toISOString(), Math.round(v * 1e6) / 1e6]);

describe('agg=delta: energy used per bucket from the meter counter', () => {
  let h: Harness;
  let building: string;
  let points: Point[];
  const clock = cityClock('Europe/Athens');
  const dayOf = (t: number) => clock.startOfDay(t);

  beforeAll(async () => {
    h = await openHarness({ timeZone: 'Europe/Athens' }, { memoryStore: true });
    building = h.deps.catalogue.features.find((f) => f.properties.kind === 'energy')!.id;
    points = readings(building);
    await h.store.write(points);
  });
  afterAll(() => h.close());

  const series = async (q: string) => {
    const r = await h.app.inject({ url: `/api/v1/series?asset=${building}&metric=energy_kwh&agg=delta&${q}` });
    expect(r.statusCode, r.body).toBe(200);
    return r.json<SeriesResponse>();
  };

  it('per local day equals the counter difference from raw readings, across a gap and a meter replacement', async () => {
    const r = await series('from=2026-12-01&to=2026-12-05&step=1d');
    const from = Date.parse(r.from);
    const to = Date.parse(r.to);
    expect(from).toBe(Date.parse('2026-11-30T22:00Z'));
    const want = recompute(points, from, to, dayOf);
    expect(want.size).toBe(4);
    expect(round(r.series[0]!.points.map(([t, v]) => [Date.parse(t), v]))).toEqual(round(want));
    // The gap's use counts on the day readings resume; the days sum to the counters' whole difference.
    const total = r.series[0]!.points.reduce((s, p) => s + p[1], 0);
    const last = (t: number) => points.filter((p) => p.ts < t).at(-1)!;
    const replaced = (last(INSTALLED).values.energy_kwh! - last(from).values.energy_kwh!) + last(to).values.energy_kwh!;
    expect(total).toBeCloseTo(replaced, 6);
  });

  it('per hour and per quarter hour, and in the exports, the same', async () => {
    for (const step of ['1h', '15m']) {
      const ms = step === '1h' ? HOUR : 15 * MIN;
      const r = await series(`from=2026-12-03T00:00Z&to=2026-12-03T12:00Z&step=${step}`);
      const want = recompute(points, Date.parse(r.from), Date.parse(r.to), (t) => Math.floor(t / ms) * ms);
      expect(round(r.series[0]!.points.map(([t, v]) => [Date.parse(t), v]))).toEqual(round(want));
    }
    const csv = await h.app.inject({ url: '/api/v1/export?kind=energy&from=2026-12-01&to=2026-12-05&step=1d&agg=delta' });
    expect(csv.statusCode, csv.body).toBe(200);
    const [header, ...lines] = csv.body.trim().split('\r\n');
    const col = header!.split(',').indexOf('energy_kwh');
    const mine = lines.map((l) => l.split(',')).filter((f) => f[1] === building).map((f) => [Date.parse(f[0]!), Number(f[col])] as [number, number]);
    const want = recompute(points, Date.parse('2026-11-30T22:00Z'), Date.parse('2026-12-04T22:00Z'), dayOf);
    expect(round(mine)).toEqual(round(want));
  });

  it('is for meter counters only', async () => {
    const r = await h.app.inject({ url: `/api/v1/series?asset=${building}&metric=power_kw&agg=delta&step=1h` });
    expect(r.statusCode).toBe(400);
    expect(errorOf(r).message).toMatch(/delta is for meter counters/);
  });
});
