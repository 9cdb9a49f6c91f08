import { city } from '../time/city.js';
import { HOUR_MS } from '../time/time-query.js';
import type { Point } from './points.js';

/** Energy over a period, and whether the data covered all of it. */
export interface Consumption { kwh: number; partial: boolean }

/**
 * Energy used over [from, to) from a meter counter read as the last value per bucket (`agg=last`): the sum of
 * the counter's increases from its reading before `from` to its last reading before `to`. Summing increases
 * (never a decrease) keeps a replaced or reset meter from producing negative energy. `partial` when the
 * counter has no reading before `from` (the first reading in the period is the baseline then, so energy
 * before it is missing), or none in the last bucket before `to`. Null without any reading in the period.
 */
export function energyFromCounter(counter: readonly Point[], from: number, to: number, stepMs: number): Consumption | null {
  let base: number | undefined;
  let prev: number | undefined;
  let kwh = 0;
  let lastT = -Infinity;
  let inPeriod = 0;
  for (const [t, v] of counter) {
    if (t >= to) break;
    // A bucket that starts before `from` ends by `from` only when aligned; its last value is the baseline.
    if (t < from) {
      base = v;
      prev = v;
      continue;
    }
    inPeriod++;
    if (prev !== undefined && v > prev) kwh += v - prev;
    prev = v;
    lastT = t;
  }
  if (inPeriod === 0) return null;
  return { kwh, partial: base === undefined || lastT < to - stepMs };
}

/** Energy over [from, to) from mean power per bucket: Σ mean kW × bucket hours; partial when buckets are missing. */
export function energyFromPower(power: readonly Point[], from: number, to: number, stepMs: number): Consumption | null {
  let kwh = 0;
  let n = 0;
  for (const [t, kw] of power) {
    if (t < from || t >= to) continue;
    kwh += kw * (stepMs / HOUR_MS);
    n++;
  }
  if (n === 0) return null;
  return { kwh, partial: n < Math.round((to - from) / stepMs) };
}

/** Local hours that count as night for the baseload: 00:00 to 04:59, Thessaloniki time. */
export const NIGHT_HOURS = { from: 0, to: 5 } as const;

/**
 * Night baseload: the lowest hourly mean power between 00:00 and 05:00 local time in [from, to). It is what
 * the building draws with nobody in it (ventilation, servers, refrigeration, lights left on).
 */
export function baseloadKw(hourlyMeanKw: readonly Point[], from: number, to: number): number | null {
  let min: number | null = null;
  for (const [t, kw] of hourlyMeanKw) {
    if (t < from || t >= to) continue;
    const h = city().hour(t);
    if (h >= NIGHT_HOURS.from && h < NIGHT_HOURS.to && (min === null || kw < min)) min = kw;
  }
  return min;
}

/** Local hours that count as daytime for the baseload's share: 08:00 to 19:59, Thessaloniki time. */
export const DAY_HOURS = { from: 8, to: 20 } as const;

/** The mean of the hourly mean power between 08:00 and 20:00 local time in [from, to), or null. */
export function daytimeMeanKw(hourlyMeanKw: readonly Point[], from: number, to: number): number | null {
  let sum = 0;
  let n = 0;
  for (const [t, kw] of hourlyMeanKw) {
    if (t < from || t >= to) continue;
    const h = city().hour(t);
    if (h >= DAY_HOURS.from && h < DAY_HOURS.to) {
      sum += kw;
      n++;
    }
  }
  return n ? sum / n : null;
}

/** The highest value in [from, to) (peak power from hourly maxima), or null. */
export function peakOf(points: readonly Point[], from: number, to: number): number | null {
  let max: number | null = null;
  for (const [t, v] of points) if (t >= from && t < to && (max === null || v > max)) max = v;
  return max;
}

/** Change from `previous` to `current` as a fraction (0.1 = +10 %); null when there is nothing to compare. */
export function weekOnWeek(current: number | null | undefined, previous: number | null | undefined): number | null {
  if (current == null || previous == null || !(previous > 0)) return null;
  return (current - previous) / previous;
}

/** Energy per floor area (kWh/m²); null without both. */
export function perArea(kwh: number | null | undefined, floorAreaM2: number): number | null {
  return kwh == null || !(floorAreaM2 > 0) ? null : kwh / floorAreaM2;
}
