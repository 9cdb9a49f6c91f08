import type { Point } from './points.js';

/** What the congestion index needs of a road link. */
export interface LinkRef { length_m: number; free_flow_kmh: number }

/** How congested a link is: 0 at or above free-flow speed, 1 when stopped. */
export function linkCongestion(speedKmh: number, freeFlowKmh: number): number {
  if (!(freeFlowKmh > 0) || !Number.isFinite(speedKmh)) return 0;
  return Math.min(1, Math.max(0, 1 - speedKmh / freeFlowKmh));
}

/** The city's congestion index at one time, and how many links and metres of road it covered. */
export interface CongestionPoint { t: number; index: number; links: number; lengthM: number }

/**
 * The city congestion index per bucket: the length-weighted mean of `1 − speed / free-flow speed` (clamped
 * to [0, 1]) over the links that have a speed in that bucket. A long ring-road link weighs more than a short
 * street, as it carries more of the city's driving. Buckets no link reported are absent.
 */
export function congestionIndex(speeds: ReadonlyMap<string, readonly Point[]>, links: ReadonlyMap<string, LinkRef>): CongestionPoint[] {
  const acc = new Map<number, { w: number; len: number; n: number }>();
  for (const [id, points] of speeds) {
    const link = links.get(id);
    if (!link || !(link.length_m > 0)) continue;
    for (const [t, speed] of points) {
      const a = acc.get(t) ?? { w: 0, len: 0, n: 0 };
      a.w += link.length_m * linkCongestion(speed, link.free_flow_kmh);
      a.len += link.length_m;
      a.n += 1;
      acc.set(t, a);
    }
  }
  return [...acc.entries()].sort(([a], [b]) => a - b).map(([t, a]) => ({ t, index: a.w / a.len, links: a.n, lengthM: a.len }));
}
