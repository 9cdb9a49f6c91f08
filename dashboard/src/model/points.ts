import type { SeriesResponse } from '@cityhub/contracts';

/** One point of a series: `[epoch ms, value]`. Arrays of them are ascending in time. */
export type Point = readonly [number, number];

/** Every asset's points from a `/series` answer, timestamps parsed once. */
export function pointsByAsset(res: SeriesResponse): Map<string, Point[]> {
  const out = new Map<string, Point[]>();
  for (const s of res.series) out.set(s.asset, s.points.map(([ts, v]) => [Date.parse(ts), v] as const));
  return out;
}

/** Index of the last point with time ≤ t, or −1 (binary search). */
export function lastIndexAtOrBefore(points: readonly Point[], t: number): number {
  let lo = 0, hi = points.length - 1, found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid]![0] <= t) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/**
 * The point an asset shows at time `t`: the newest with time ≤ t, if it is less than `lookbackMs` old. With
 * bucketed series a point's time is its bucket's start, so the bucket holding `t` counts as current.
 */
export function valueAt(points: readonly Point[], t: number, lookbackMs: number): Point | undefined {
  const i = lastIndexAtOrBefore(points, t);
  const p = i >= 0 ? points[i] : undefined;
  return p && t - p[0] < lookbackMs ? p : undefined;
}

/** The points with from ≤ time < to. */
export function pointsIn(points: readonly Point[], from: number, to: number): Point[] {
  return points.filter(([t]) => t >= from && t < to);
}

/** Concatenates per-asset point maps of consecutive windows, keeping time order and dropping duplicates. */
export function mergePointMaps(maps: readonly ReadonlyMap<string, readonly Point[]>[]): Map<string, Point[]> {
  const out = new Map<string, Point[]>();
  for (const m of maps) {
    for (const [asset, pts] of m) {
      const acc = out.get(asset) ?? [];
      for (const p of pts) if (acc.length === 0 || p[0] > acc[acc.length - 1]![0]) acc.push(p);
      out.set(asset, acc);
    }
  }
  return out;
}
