import { city } from '../time/city.js';
import type { Point } from './points.js';

/** Means per bin (null where a bin got no value) and how many values went into each. */
export interface Bins { mean: (number | null)[]; count: number[] }

function binMeans(points: readonly Point[], bins: number, binOf: (t: number) => number): Bins {
  const sum = new Array<number>(bins).fill(0);
  const count = new Array<number>(bins).fill(0);
  for (const [t, v] of points) {
    const b = binOf(t);
    sum[b]! += v;
    count[b]! += 1;
  }
  return { mean: sum.map((s, i) => (count[i]! > 0 ? s / count[i]! : null)), count };
}

/**
 * Mean by local hour of day (24 bins, Thessaloniki time). Fed hourly means, each bin is the mean of the
 * hours that fell on that clock hour: a daily profile.
 */
export function byHourOfDay(points: readonly Point[]): Bins {
  return binMeans(points, 24, (t) => city().hour(t));
}

/**
 * Mean by local hour of the week (168 bins, Monday 00:00 first, Thessaloniki time). Fed four weeks of hourly
 * means, each bin averages the (usually four) hours that fell on it. Around the clock changes a UTC hour
 * still lands on the local hour it was shown as: in spring no hour lands on Sunday 03:00, in autumn two do.
 */
export function byHourOfWeek(points: readonly Point[]): Bins {
  return binMeans(points, 168, (t) => city().hourOfWeek(t));
}

/** A 168-bin week as 7 rows (Monday first) of 24 hours. */
export function weekGrid<T>(bins: readonly T[]): T[][] {
  return Array.from({ length: 7 }, (_, d) => bins.slice(d * 24, d * 24 + 24));
}
