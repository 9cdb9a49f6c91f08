import { KINDS } from '@cityhub/contracts';
import { PRIMARY_METRIC } from '../model/assets.js';
import { estimateIntervalMs } from '../model/offline.js';
import type { IntervalBook } from '../model/offline.js';
import type { SeriesCache } from '../data/series-cache.js';
import { alignUp, HOUR_MS, STEP_15M } from './time-query.js';

/** The reading counts that seed each asset's usual interval: the last six hours in 15-minute buckets. */
const LOOKBACK_MS = 6 * HOUR_MS;

/** Seeds every asset's usual reporting interval from its reading counts over the last six hours (3 requests). */
export async function seedIntervals(cache: SeriesCache, intervals: IntervalBook): Promise<void> {
  const to = alignUp(Date.now() + 1, STEP_15M.ms);
  await Promise.all(KINDS.map(async (kind) => {
    const res = await cache.get({ kind, metric: PRIMARY_METRIC[kind], from: to - LOOKBACK_MS, to, step: STEP_15M.param, agg: 'count' });
    for (const s of res.series) {
      intervals.seed(s.asset, estimateIntervalMs(s.points.map(([t, c]) => [Date.parse(t), c] as const), STEP_15M.ms));
    }
  }));
}
