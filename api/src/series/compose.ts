import type { Agg, SeriesAgg } from '@cityhub/contracts';
import type { SeriesResult, Store } from '@cityhub/store';
import { baseStepS, type Bucketing } from './buckets.js';

/** How far before a range the counter reading the first bucket's energy is counted from is looked for. */
export const DELTA_LOOKBACK_MS = 31 * 86_400_000;

/** One metric of some assets over buckets [i0, i1) of a bucketing (default all of them). */
export interface BucketQuery {
  assets: string[];
  metric: string;
  agg: SeriesAgg;
  b: Bucketing;
  i0?: number;
  i1?: number;
}

type Points = SeriesResult['points'];
type Fold = Exclude<Agg, 'mean'>;

const combine: Record<Fold, (a: number, b: number) => number> = {
  sum: (a, b) => a + b,
  count: (a, b) => a + b,
  min: Math.min,
  max: Math.max,
  last: (_, b) => b,
};

/** Folds finer buckets (ascending) into the buckets [i0, i1) of `b`; buckets with no finer one are absent. */
export function foldInto(points: Points, b: Bucketing, i0: number, i1: number, fold: Fold): Points {
  const out: Points = [];
  let i = i0;
  for (const [t, v] of points) {
    while (i < i1 && b.edge(i + 1) <= t) i++;
    if (i >= i1) break;
    if (t < b.edge(i)) continue;
    const start = b.edge(i);
    const cur = out.at(-1);
    if (cur && cur[0] === start) cur[1] = combine[fold](cur[1], v);
    else out.push([start, v]);
  }
  return out;
}

/**
 * Energy used per bucket from a meter counter's per-bucket last, max and min (ascending, the same buckets),
 * and the last reading before the first bucket (null when none). A bucket's use is its last reading minus the
 * last reading before it, however long the gap between them (energy used during a gap counts in the bucket
 * where readings resume). A bucket whose last reading is below the one before holds a meter replacement: the
 * old meter's use up to its final reading (the bucket's max) plus the new meter's count from zero. Without a
 * reading before, the bucket's first reading (its min) is where counting starts.
 */
export function counterDeltas(last: Points, max: Points, min: Points, before: number | null): Points {
  const out: Points = [];
  let prev = before;
  last.forEach(([t, l], k) => {
    const hi = max[k]?.[1] ?? l;
    const lo = min[k]?.[1] ?? l;
    let used: number;
    if (prev === null) used = l - lo;
    else if (l >= prev) used = l - prev;
    else used = Math.max(0, hi - prev) + l;
    out.push([t, used]);
    prev = l;
  });
  return out;
}

/**
 * Reads one metric per bucket, whatever the bucketing: epoch steps straight from the store; local days
 * composed from the widest stored rollup their edges fall on (1 h for whole-hour zones; exact for every
 * aggregate: a mean from sums and counts); `delta` from the counter's last, max and min per finer bucket.
 * Results come in the order of `assets`.
 */
export async function readBuckets(store: Store, q: BucketQuery): Promise<SeriesResult[]> {
  const i0 = q.i0 ?? 0;
  const i1 = q.i1 ?? q.b.count;
  const from = q.b.edge(i0);
  const to = q.b.edge(i1);
  const { assets, metric } = q;
  if (q.agg !== 'delta' && !q.b.local) return store.series({ assets, metric, from, to, stepS: q.b.stepS, agg: q.agg });
  const stepS = baseStepS(q.b, i0, i1);
  const base = (agg: Agg) => store.series({ assets, metric, from, to, stepS, agg });
  const fold = (rows: Points[], f: Fold) => rows.map((p) => foldInto(p, q.b, i0, i1, f));
  let points: Points[];
  if (q.agg === 'delta') {
    const lookS = DELTA_LOOKBACK_MS / 1000;
    const [last, max, min, before] = await Promise.all([base('last'), base('max'), base('min'),
      store.series({ assets, metric, from: from - DELTA_LOOKBACK_MS, to: from, stepS: lookS, agg: 'last' })]);
    points = fold(last.map((r, k) => counterDeltas(r.points, max[k]!.points, min[k]!.points, before[k]!.points.at(-1)?.[1] ?? null)), 'sum');
  } else if (q.agg === 'mean') {
    const [sum, count] = await Promise.all([base('sum'), base('count')]);
    const counts = fold(count.map((r) => r.points), 'sum');
    points = fold(sum.map((r) => r.points), 'sum').map((p, k) => p.map(([t, s], j) => [t, s / counts[k]![j]![1]]));
  } else {
    points = fold((await base(q.agg)).map((r) => r.points), q.agg);
  }
  return assets.map((asset, k) => ({ asset, points: points[k]! }));
}
