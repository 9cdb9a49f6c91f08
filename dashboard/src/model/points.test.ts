import { describe, expect, it } from 'vitest';
import { SeriesResponse } from '@cityhub/contracts';
import { lastIndexAtOrBefore, mergePointMaps, pointsByAsset, pointsIn, valueAt } from './points.js';
import type { Point } from './points.js';

const m = (min: number) => Date.UTC(2025, 0, 1, 0, min);
const pts: Point[] = [[m(0), 10], [m(5), 20], [m(10), 30]];

describe('points', () => {
  it('parses a /series answer per asset', () => {
    const res = SeriesResponse.parse({
      metric: 'clients', agg: 'mean', step_s: 300, from: '2025-01-01T00:00:00Z', to: '2025-01-01T01:00:00Z',
      series: [{ asset: 'h1', points: [['2025-01-01T00:05:00.000Z', 3]] }],
    });
    expect(pointsByAsset(res)).toEqual(new Map([['h1', [[m(5), 3]]]]));
  });

  it('finds the newest point at or before a time', () => {
    expect(lastIndexAtOrBefore(pts, m(0) - 1)).toBe(-1);
    expect(lastIndexAtOrBefore(pts, m(5))).toBe(1);
    expect(lastIndexAtOrBefore(pts, m(7))).toBe(1);
    expect(lastIndexAtOrBefore(pts, m(60))).toBe(2);
  });

  it('shows a point only while it is younger than the lookback', () => {
    expect(valueAt(pts, m(7), 5 * 60_000)).toEqual([m(5), 20]);
    expect(valueAt(pts, m(11), 2 * 60_000)).toEqual([m(10), 30]);
    expect(valueAt(pts, m(11), 60_000)).toBeUndefined();
    expect(valueAt(pts, m(20), 10 * 60_000)).toBeUndefined();
    expect(valueAt(pts, m(0) - 1, 10 * 60_000)).toBeUndefined();
  });

  it('slices and merges windows', () => {
    expect(pointsIn(pts, m(5), m(10))).toEqual([[m(5), 20]]);
    const merged = mergePointMaps([new Map([['a', pts.slice(0, 2)]]), new Map([['a', pts.slice(1)], ['b', [[m(1), 1]]]])]);
    expect(merged.get('a')).toEqual(pts);
    expect(merged.get('b')).toEqual([[m(1), 1]]);
  });
});
