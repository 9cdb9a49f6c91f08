/**
 * What a rollup keeps of one metric in one bucket of one series (asset + device): enough to answer every
 * aggregate exactly (mean = sum / count) and to build the next coarser bucket from this one.
 */
export interface Agg {
  count: number;
  sum: number;
  min: number;
  max: number;
  /** The value at the greatest time, and that time. */
  last: number;
  lastTs: number;
}

/** An aggregate of one value. */
export const single = (value: number, ts: number): Agg => ({ count: 1, sum: value, min: value, max: value, last: value, lastTs: ts });

/** Folds one value into `a` (in place). */
export function add(a: Agg, value: number, ts: number): void {
  a.count += 1;
  a.sum += value;
  if (value < a.min) a.min = value;
  if (value > a.max) a.max = value;
  if (ts > a.lastTs) {
    a.last = value;
    a.lastTs = ts;
  }
}

/**
 * Folds `b` into `a` (in place) and returns `a`. Within one series no two readings share a time, so the
 * later of two `last`s is well defined.
 */
export function fold(a: Agg, b: Agg): Agg {
  a.count += b.count;
  a.sum += b.sum;
  if (b.min < a.min) a.min = b.min;
  if (b.max > a.max) a.max = b.max;
  if (b.lastTs > a.lastTs) {
    a.last = b.last;
    a.lastTs = b.lastTs;
  }
  return a;
}

/** Epoch-aligned bucket start (floors, so times before 1970 bucket the same way). */
export const bucketOf = (ts: number, widthMs: number): number => Math.floor(ts / widthMs) * widthMs;

/**
 * Contiguous runs of sorted bucket starts as [from, to) ranges; runs closer than `gapBuckets` widths are
 * joined, trading a few extra rows read for fewer statements.
 */
export function runsOf(buckets: Iterable<number>, widthMs: number, gapBuckets: number): Array<[number, number]> {
  const sorted = [...new Set(buckets)].sort((a, b) => a - b);
  const runs: Array<[number, number]> = [];
  for (const b of sorted) {
    const last = runs.at(-1);
    if (last && b - last[1] <= gapBuckets * widthMs) last[1] = b + widthMs;
    else runs.push([b, b + widthMs]);
  }
  return runs;
}
