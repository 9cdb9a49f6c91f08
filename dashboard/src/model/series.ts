import type { SeriesResponse } from '@cityhub/contracts';
import type { Point } from './points.js';

/** A value column for uPlot: null breaks the line (a gap), undefined is bridged (no value at that x). */
export type Column = (number | null | undefined)[];

/** uPlot's columns for one series: x in epoch seconds, then y. */
export type ChartData = [number[], Column];

/** A silence longer than this many steps breaks the chart's line; shorter ones are bridged. */
export const GAP_STEPS = 5;

/**
 * Several series on one x axis (epoch seconds). Devices report every few minutes, so a step or two without a
 * value is normal and bridged (undefined); a longer silence gets a null one step after its last point, so the
 * line breaks there instead of drawing a straight line across an outage. Without a step nothing is broken.
 */
export function alignSeries(list: readonly (readonly Point[])[], stepMs: number | null): { x: number[]; ys: Column[] } {
  const xs = new Set<number>();
  const values = list.map((points) => {
    const byX = new Map<number, number | null>();
    let prev: number | undefined;
    for (const [t, v] of points) {
      if (stepMs && prev !== undefined && t - prev > stepMs * GAP_STEPS) byX.set(prev + stepMs, null);
      byX.set(t, v);
      prev = t;
    }
    for (const t of byX.keys()) xs.add(t);
    return byX;
  });
  const x = [...xs].sort((a, b) => a - b);
  return { x: x.map((t) => t / 1000), ys: values.map((byX) => x.map((t) => byX.get(t))) };
}

/** Shifts points by `ms` (to lay last week's line over this week's). */
export function shifted(points: readonly Point[], ms: number): Point[] {
  return points.map(([t, v]) => [t + ms, v] as const);
}

/** One asset's points from a `/series` answer as uPlot columns (see `alignSeries`). */
export function toChartData(res: SeriesResponse, asset: string): ChartData {
  const points = (res.series.find((s) => s.asset === asset)?.points ?? []).map(([ts, v]) => [Date.parse(ts), v] as const);
  const { x, ys } = alignSeries([points], res.step_s ? res.step_s * 1000 : null);
  return [x, ys[0] ?? []];
}
