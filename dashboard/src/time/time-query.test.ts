import { describe, expect, it } from 'vitest';
import { alignDown, alignUp, chartSpan, HOUR_MS, MINUTE_MS, spanEndingAt, STEP_15M, STEP_1M, windowsCovering } from './time-query.js';

describe('alignment', () => {
  it('rounds to multiples of the step from the epoch', () => {
    const t = Date.UTC(2025, 0, 1, 10, 7, 30);
    expect(alignDown(t, 15 * MINUTE_MS)).toBe(Date.UTC(2025, 0, 1, 10, 0));
    expect(alignUp(t, 15 * MINUTE_MS)).toBe(Date.UTC(2025, 0, 1, 10, 15));
    expect(alignUp(Date.UTC(2025, 0, 1, 10), HOUR_MS)).toBe(Date.UTC(2025, 0, 1, 10));
  });

  it('reads a chart range over whole buckets, the current one included', () => {
    const now = Date.UTC(2025, 0, 1, 10, 7, 30);
    expect(spanEndingAt(now, HOUR_MS, STEP_1M)).toEqual({ from: Date.UTC(2025, 0, 1, 9, 8), to: Date.UTC(2025, 0, 1, 10, 8), step: STEP_1M });
    // Exactly on a boundary, the bucket that starts there is the current one.
    const on = Date.UTC(2025, 0, 1, 10, 15);
    expect(spanEndingAt(on, 24 * HOUR_MS, STEP_15M).to).toBe(Date.UTC(2025, 0, 1, 10, 30));
  });

  it('finds the cacheable windows that cover a lookback', () => {
    const t = Date.UTC(2025, 0, 1, 2, 10);
    expect(windowsCovering(t, 5 * MINUTE_MS, 2 * HOUR_MS)).toEqual([Date.UTC(2025, 0, 1, 2)]);
    expect(windowsCovering(t, 15 * MINUTE_MS, 2 * HOUR_MS)).toEqual([Date.UTC(2025, 0, 1, 0), Date.UTC(2025, 0, 1, 2)]);
  });
});

describe('chartSpan', () => {
  const now = Date.UTC(2025, 0, 2, 12, 0, 30);
  it('ends now when live', () => {
    expect(chartSpan(0, true, now, HOUR_MS, STEP_1M)).toEqual(spanEndingAt(now, HOUR_MS, STEP_1M));
  });
  it('ends at the quarter after a past moment, never after now', () => {
    const t = Date.UTC(2025, 0, 2, 8, 5);
    expect(chartSpan(t, false, now, HOUR_MS, STEP_1M)).toEqual({ from: Date.UTC(2025, 0, 2, 7, 15), to: Date.UTC(2025, 0, 2, 8, 15), step: STEP_1M });
    expect(chartSpan(t, false, now, 24 * HOUR_MS, STEP_15M).to).toBe(Date.UTC(2025, 0, 2, 12));
    expect(chartSpan(Date.UTC(2025, 0, 2, 11, 59), false, now, HOUR_MS, STEP_1M).to).toBe(Date.UTC(2025, 0, 2, 12, 0));
    expect(chartSpan(Date.UTC(2025, 0, 2, 12, 0, 10), false, now, HOUR_MS, STEP_1M).to).toBe(Date.UTC(2025, 0, 2, 12, 1));
  });
});
