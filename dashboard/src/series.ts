import type { SeriesResponse } from '@cityhub/contracts';

/** uPlot's columns: x in epoch seconds, y with null where a step has no value. */
export type ChartData = [number[], (number | null)[]];

/** A silence longer than this many steps breaks the chart's line; shorter ones are bridged. */
export const GAP_STEPS = 5;

/**
 * One asset's points from a `/series` answer as uPlot columns. Devices report every few minutes, so a step
 * or two without a value is normal and bridged; a longer silence becomes a null, so the line breaks there
 * instead of drawing a straight line across an outage.
 */
export function toChartData(res: SeriesResponse, asset: string): ChartData {
  const points = res.series.find((s) => s.asset === asset)?.points ?? [];
  const xs: number[] = [];
  const ys: (number | null)[] = [];
  const step = res.step_s ?? 0;
  for (const [ts, v] of points) {
    const x = Date.parse(ts) / 1000;
    const prev = xs[xs.length - 1];
    if (step > 0 && prev !== undefined && x - prev > step * GAP_STEPS) {
      xs.push(prev + step);
      ys.push(null);
    }
    xs.push(x);
    ys.push(v);
  }
  return [xs, ys];
}
