import { describe, expect, it } from 'vitest';
import { SeriesResponse } from '@cityhub/contracts';
import { alignSeries, shifted, toChartData } from './series.js';

const res = SeriesResponse.parse({
  metric: 'speed_kmh', agg: 'mean', step_s: 60, from: '2025-01-01T00:00:00Z', to: '2025-01-01T01:00:00Z',
  series: [
    { asset: 'link-1', points: [['2025-01-01T00:00:00Z', 40], ['2025-01-01T00:03:00Z', 38], ['2025-01-01T00:10:00Z', 12]] },
    { asset: 'link-2', points: [['2025-01-01T00:00:00Z', 70]] },
  ],
});
const t0 = Date.UTC(2025, 0, 1) / 1000;

describe('toChartData', () => {
  it('takes the asset\'s points in epoch seconds, bridges short silences and breaks the line over long ones', () => {
    expect(toChartData(res, 'link-1')).toEqual([[t0, t0 + 180, t0 + 240, t0 + 600], [40, 38, null, 12]]);
  });
  it('is empty for an asset with no series', () => {
    expect(toChartData(res, 'link-3')).toEqual([[], []]);
  });
  it('does not invent gaps without a step', () => {
    expect(toChartData({ ...res, step_s: null }, 'link-1')[1]).toEqual([40, 38, 12]);
  });
});

describe('alignSeries', () => {
  it('lays last week over this week on one axis, bridging where only one has a value', () => {
    const m = (min: number) => Date.UTC(2025, 0, 8, 0, min);
    const week = 7 * 86_400_000;
    const now = [[m(0), 10], [m(1), 11], [m(3), 13]] as const;
    const before = shifted([[m(1) - week, 20], [m(2) - week, 22]], week);
    expect(before).toEqual([[m(1), 20], [m(2), 22]]);
    expect(alignSeries([now, before], 60_000)).toEqual({
      x: [m(0), m(1), m(2), m(3)].map((t) => t / 1000),
      ys: [[10, 11, undefined, 13], [undefined, 20, 22, undefined]],
    });
  });
});
