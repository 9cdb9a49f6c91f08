import type { Point } from './points.js';

/**
 * Availability over [from, to): the share of `stepMs` buckets in which the hotspot sent at least one reading,
 * from a `/series … agg=count` answer at that step. A bucket the store has no row for counts as unavailable.
 */
export function availability(counts: readonly Point[], from: number, to: number, stepMs: number): number {
  const total = Math.round((to - from) / stepMs);
  if (total <= 0) return 0;
  let up = 0;
  for (const [t, n] of counts) if (t >= from && t < to && n >= 1) up++;
  return Math.min(1, up / total);
}
