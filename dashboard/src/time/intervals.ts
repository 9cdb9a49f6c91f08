import { KINDS } from '@cityhub/contracts';
import { PRIMARY_METRIC } from '../model/assets.js';
import { estimateIntervalMs } from '../model/offline.js';
import type { IntervalBook } from '../model/offline.js';
import type { SeriesCache } from '../data/series-cache.js';
import { alignDown, alignUp, DAY_MS, HOUR_MS, STEP_15M } from './time-query.js';

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

/** The start of the first bucket with a reading in any kind's counts, or null without one. */
async function firstBucket(cache: SeriesCache, from: number, to: number, step: '1d' | '15m'): Promise<number | null> {
  let first = Infinity;
  await Promise.all(KINDS.map(async (kind) => {
    const res = await cache.get({ kind, metric: PRIMARY_METRIC[kind], from, to, step, agg: 'count' });
    for (const s of res.series) {
      for (const [t, c] of s.points) {
        if (c > 0) {
          first = Math.min(first, Date.parse(t));
          break;
        }
      }
    }
  }));
  return first === Infinity ? null : first;
}

/**
 * The oldest reading the hub holds within its retention, to the quarter hour: the first day with readings (of any
 * kind's primary metric), then its first quarter hour with readings. Six requests; null when the hub holds none.
 */
export async function findOldest(cache: SeriesCache, retentionMs: number, now = Date.now()): Promise<number | null> {
  const day = await firstBucket(cache, alignDown(now - retentionMs, DAY_MS), alignUp(now + 1, DAY_MS), '1d');
  if (day === null) return null;
  return (await firstBucket(cache, day, day + DAY_MS, '15m')) ?? day;
}
