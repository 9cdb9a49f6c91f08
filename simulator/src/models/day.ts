import type { CityClock } from '@cityhub/contracts';

/*
 * The simulator's view of the city's day: its daily patterns depend only on the local weekday, the minutes since
 * local midnight and the month, in the city's zone (`cityClock(zone)` from @cityhub/contracts; CITYHUB_TZ).
 */

/** Local civil time in the city, which is all the daily patterns depend on. */
export interface LocalTime {
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
  /** Minutes since local midnight, fractional (0 ≤ m < 1440). */
  minutes: number;
  /** 1 = January … 12 = December. */
  month: number;
}

/** The local time of an instant (epoch ms) on `clock`, daylight saving time included. */
export function localTime(clock: CityClock, t: number): LocalTime {
  const p = clock.localParts(t);
  return {
    weekday: p.weekday,
    minutes: p.hour * 60 + p.minute + p.second / 60 + p.millisecond / 60_000,
    month: p.month,
  };
}

/** Minutes from h:mm. */
export const hm = (h: number, m = 0): number => h * 60 + m;

/**
 * A smooth window over the day: 0 outside, 1 on [start, end], cosine ramps of `ramp` minutes outside
 * the edges. Handles windows that run past midnight (end > 1440).
 */
export function dayWindow(minutes: number, start: number, end: number, ramp = 30): number {
  let best = 0;
  for (const m of [minutes, minutes + 1440, minutes - 1440]) {
    let v = 0;
    if (m >= start && m <= end) v = 1;
    else if (m > start - ramp && m < start) v = 0.5 - 0.5 * Math.cos((Math.PI * (m - (start - ramp))) / ramp);
    else if (m > end && m < end + ramp) v = 0.5 + 0.5 * Math.cos((Math.PI * (m - end)) / ramp);
    best = Math.max(best, v);
  }
  return best;
}

/** Weekday, Saturday or Sunday. */
export type DayType = 'weekday' | 'saturday' | 'sunday';
export const dayType = (weekday: number): DayType => (weekday === 0 ? 'sunday' : weekday === 6 ? 'saturday' : 'weekday');
