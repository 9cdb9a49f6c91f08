/**
 * What the views should show, computed here from `/series` answers by the test's own (deliberately plain)
 * arithmetic, not by the dashboard's modules: a test that reused them would agree with any bug in them.
 */
import type { AssetCollection, SeriesResponse } from '@cityhub/contracts';
import { athensHour } from './cases.js';

const HOUR = 3_600_000;

export async function getSeries(url: string): Promise<SeriesResponse> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return (await res.json()) as SeriesResponse;
}

function pointsOf(res: SeriesResponse, asset: string): [number, number][] {
  return (res.series.find((s) => s.asset === asset)?.points ?? []).map(([t, v]) => [Date.parse(t), v]);
}

/** Energy over [from, to) from hourly last counter values: the last value before `to` minus the last before `from`. */
export function counterKwh(res: SeriesResponse, asset: string, from: number, to: number): number | null {
  const pts = pointsOf(res, asset);
  const before = pts.filter(([t]) => t < from);
  const inside = pts.filter(([t]) => t >= from && t < to);
  if (inside.length === 0) return null;
  const start = before.length ? before[before.length - 1]![1] : inside[0]![1];
  return inside[inside.length - 1]![1] - start;
}

/** The figures of one building, as the ranking should show them. */
export interface ExpectedBuilding {
  kwh: number | null; kwhPerM2: number | null; baseloadKw: number | null; baseloadWPerM2: number | null; baseloadShare: number | null;
  peakKw: number | null; weekOnWeek: number | null; vsPrevious: number | null; vsYearAgo: number | null;
}

/** The `/series` answers the energy view read (`EnergyData.urls`, fetched again by the test). */
export interface EnergySeries { counter: SeriesResponse; meanPower: SeriesResponse; maxPower: SeriesResponse; yearCounter: SeriesResponse; yearMeanPower: SeriesResponse }

/**
 * Energy over [from, to) to compare with: from the counter when it has a reading before `from` and one in the
 * last hour of the period; else from mean power (kW × 1 h) when every hour has one; null otherwise.
 */
function fullEnergy(counter: SeriesResponse, meanPower: SeriesResponse, asset: string, from: number, to: number): number | null {
  const c = pointsOf(counter, asset);
  if (c.length) {
    const complete = c.some(([t]) => t < from) && c.some(([t]) => t >= to - HOUR && t < to);
    return complete ? counterKwh(counter, asset, from, to) : null;
  }
  const p = pointsOf(meanPower, asset).filter(([t]) => t >= from && t < to);
  return p.length === (to - from) / HOUR ? p.reduce((a, [, v]) => a + v, 0) : null;
}

/** Energy over [from, to) from the counter, or mean power × 1 h when the counter has nothing then; null without either. */
function periodKwh(s: EnergySeries, asset: string, from: number, to: number): number | null {
  const kwh = counterKwh(s.counter, asset, from, to);
  if (kwh !== null) return kwh;
  const p = pointsOf(s.meanPower, asset).filter(([t]) => t >= from && t < to);
  return p.length ? p.reduce((a, [, v]) => a + v, 0) : null;
}

const change = (now: number | null, then: number | null) => (now !== null && then ? (now - then) / then : null);

export function expectedBuildings(buildings: AssetCollection, s: EnergySeries, from: number, to: number, yearAgo: { from: number; to: number }): Map<string, ExpectedBuilding> {
  const out = new Map<string, ExpectedBuilding>();
  const week = 7 * 24 * HOUR;
  for (const f of buildings.features) {
    if (f.properties.kind !== 'energy') continue;
    const area = f.properties.floor_area_m2;
    const kwh = periodKwh(s, f.id, from, to);
    const power = pointsOf(s.meanPower, f.id).filter(([t]) => t >= from && t < to);
    const night = power.filter(([t]) => athensHour(t) < 5).map(([, v]) => v);
    const day = power.filter(([t]) => athensHour(t) >= 8 && athensHour(t) < 20).map(([, v]) => v);
    const base = night.length ? Math.min(...night) : null;
    const dayMean = day.length ? day.reduce((a, v) => a + v, 0) / day.length : null;
    const peaks = pointsOf(s.maxPower, f.id).filter(([t]) => t >= from && t < to).map(([, v]) => v);
    out.set(f.id, {
      kwh,
      kwhPerM2: kwh === null ? null : kwh / area,
      baseloadKw: base,
      baseloadWPerM2: base === null ? null : (base * 1000) / area,
      baseloadShare: base === null || !dayMean ? null : base / dayMean,
      peakKw: peaks.length ? Math.max(...peaks) : null,
      weekOnWeek: change(periodKwh(s, f.id, to - week, to), fullEnergy(s.counter, s.meanPower, f.id, to - 2 * week, to - week)),
      vsPrevious: change(kwh, fullEnergy(s.counter, s.meanPower, f.id, 2 * from - to, from)),
      vsYearAgo: change(kwh, fullEnergy(s.yearCounter, s.yearMeanPower, f.id, yearAgo.from, yearAgo.to)),
    });
  }
  return out;
}

/** The congestion index in the bucket at `t` (or the newest before, within `maxAgeMs`), length-weighted. */
export function expectedCongestion(res: SeriesResponse, links: AssetCollection, t: number, maxAgeMs: number): number | null {
  const buckets = new Set<number>();
  for (const s of res.series) for (const [ts] of s.points) buckets.add(Date.parse(ts));
  const at = [...buckets].filter((b) => b <= t && t - b < maxAgeMs).sort((a, b) => b - a)[0];
  if (at === undefined) return null;
  let weighted = 0, length = 0;
  for (const f of links.features) {
    if (f.properties.kind !== 'traffic') continue;
    const p = pointsOf(res, f.id).find(([ts]) => ts === at);
    if (!p) continue;
    const c = Math.min(1, Math.max(0, 1 - p[1] / f.properties.free_flow_kmh));
    weighted += c * f.properties.length_m;
    length += f.properties.length_m;
  }
  return length ? weighted / length : null;
}

/** Share of the 15-minute buckets in [from, to) with a count of at least one. */
export function expectedAvailability(res: SeriesResponse, asset: string, from: number, to: number): number {
  const n = pointsOf(res, asset).filter(([t, c]) => t >= from && t < to && c >= 1).length;
  return n / ((to - from) / (15 * 60_000));
}
