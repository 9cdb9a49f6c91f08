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
export interface ExpectedBuilding { kwh: number | null; kwhPerM2: number | null; baseloadKw: number | null; peakKw: number | null; weekOnWeek: number | null }

export function expectedBuildings(buildings: AssetCollection, counter: SeriesResponse, meanPower: SeriesResponse, maxPower: SeriesResponse,
  from: number, to: number): Map<string, ExpectedBuilding> {
  const out = new Map<string, ExpectedBuilding>();
  const week = 7 * 24 * HOUR;
  for (const f of buildings.features) {
    if (f.properties.kind !== 'energy') continue;
    const area = f.properties.floor_area_m2;
    let kwh = counterKwh(counter, f.id, from, to);
    if (kwh === null) {
      const p = pointsOf(meanPower, f.id).filter(([t]) => t >= from && t < to);
      kwh = p.length ? p.reduce((a, [, v]) => a + v, 0) : null;
    }
    const night = pointsOf(meanPower, f.id).filter(([t]) => t >= from && t < to && athensHour(t) < 5).map(([, v]) => v);
    const peaks = pointsOf(maxPower, f.id).filter(([t]) => t >= from && t < to).map(([, v]) => v);
    const thisWeek = counterKwh(counter, f.id, to - week, to);
    const hasBefore = pointsOf(counter, f.id).some(([t]) => t < to - 2 * week);
    const lastWeek = hasBefore ? counterKwh(counter, f.id, to - 2 * week, to - week) : null;
    out.set(f.id, {
      kwh,
      kwhPerM2: kwh === null ? null : kwh / area,
      baseloadKw: night.length ? Math.min(...night) : null,
      peakKw: peaks.length ? Math.max(...peaks) : null,
      weekOnWeek: thisWeek !== null && lastWeek ? (thisWeek - lastWeek) / lastWeek : null,
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
