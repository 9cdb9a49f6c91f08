import { describe, expect, it } from 'vitest';
import { estimateIntervalMs, IntervalBook, isOffline, offlineAfterMs } from './offline.js';

const q = 15 * 60_000;

describe('reporting intervals', () => {
  it('spreads the buckets\' span over their readings', () => {
    // 180 readings in each of four 15-minute buckets: one every 5 s.
    expect(estimateIntervalMs([[0, 180], [q, 180], [2 * q, 180], [3 * q, 180]], q)).toBe(5000);
    // A device every 3 minutes, silent for the last hour: 4 buckets, 20 readings → 3 min, not stretched to now.
    expect(estimateIntervalMs([[0, 5], [q, 5], [2 * q, 5], [3 * q, 5]], q)).toBe(180_000);
    expect(estimateIntervalMs([], q)).toBeNull();
  });

  it('calls a device offline after three intervals, never sooner than 30 s', () => {
    expect(offlineAfterMs(180_000)).toBe(540_000);
    expect(offlineAfterMs(5000)).toBe(30_000);
    expect(offlineAfterMs(undefined)).toBe(900_000);
    expect(isOffline(0, 540_000, 180_000)).toBe(false);
    expect(isOffline(0, 540_001, 180_000)).toBe(true);
  });

  it('follows live gaps with a moving average', () => {
    const book = new IntervalBook();
    book.seed('a', 60_000);
    book.observe('a', 0);
    book.observe('a', 100_000);
    expect(book.intervalOf('a')).toBe(70_000);
    book.observe('a', 50_000); // an old reading teaches nothing
    expect(book.intervalOf('a')).toBe(70_000);
    book.observe('b', 0);
    book.observe('b', 10_000);
    expect(book.intervalOf('b')).toBe(10_000);
    book.seed('b', 99);
    expect(book.intervalOf('b')).toBe(10_000);
  });
});
