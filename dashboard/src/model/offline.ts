import type { Point } from './points.js';

/** Assumed reporting interval of an asset the dashboard knows nothing about yet. */
export const DEFAULT_INTERVAL_MS = 5 * 60_000;
/** A device is offline after this many of its usual intervals without a reading. */
export const OFFLINE_INTERVALS = 3;
/** Never call a device offline sooner than this: delivery jitter would make fast reporters flicker. */
export const MIN_OFFLINE_MS = 30_000;

/**
 * A device's usual reporting interval from reading counts per bucket (`/series … agg=count`): the time its
 * buckets span, first to last, over the readings in them. The span ends at the last bucket with readings,
 * not now, so a device that went quiet does not look like a slow one. Null without readings.
 */
export function estimateIntervalMs(counts: readonly Point[], stepMs: number): number | null {
  let n = 0, first = Infinity, last = -Infinity;
  for (const [t, c] of counts) {
    if (c <= 0) continue;
    n += c;
    if (t < first) first = t;
    if (t > last) last = t;
  }
  if (n === 0) return null;
  return (last + stepMs - first) / n;
}

/** How long without a reading before a device with this usual interval counts as offline. */
export function offlineAfterMs(intervalMs: number | null | undefined): number {
  return Math.max(MIN_OFFLINE_MS, OFFLINE_INTERVALS * (intervalMs ?? DEFAULT_INTERVAL_MS));
}

/** Whether an asset whose newest reading is from `lastTs` is offline at `now`. */
export function isOffline(lastTs: number, now: number, intervalMs: number | null | undefined): boolean {
  return now - lastTs > offlineAfterMs(intervalMs);
}

/**
 * Usual reporting intervals per asset: seeded from reading counts, then followed from the gaps between the
 * live readings (an exponential moving average, so one late reading does not reset what was learnt).
 */
export class IntervalBook {
  private readonly interval = new Map<string, number>();
  private readonly lastSeen = new Map<string, number>();

  /** Seeds an asset's interval (from `estimateIntervalMs`), unless live readings already taught one. */
  seed(asset: string, intervalMs: number | null): void {
    if (intervalMs !== null && intervalMs > 0 && !this.interval.has(asset)) this.interval.set(asset, intervalMs);
  }

  /** Learns from a reading at `ts`: the gap since the previous one moves the estimate a quarter of the way. */
  observe(asset: string, ts: number): void {
    const prev = this.lastSeen.get(asset);
    if (prev !== undefined && ts > prev) {
      const gap = ts - prev;
      const cur = this.interval.get(asset);
      this.interval.set(asset, cur === undefined ? gap : cur + (gap - cur) / 4);
    }
    if (prev === undefined || ts > prev) this.lastSeen.set(asset, ts);
  }

  /** The usual interval of an asset, or undefined when unknown. */
  intervalOf(asset: string): number | undefined {
    return this.interval.get(asset);
  }
}
