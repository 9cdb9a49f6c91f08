/** Local civil time in Thessaloniki, which is all the daily patterns depend on. */
export interface LocalTime {
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
  /** Minutes since local midnight, fractional (0 ≤ m < 1440). */
  minutes: number;
  /** 1 = January … 12 = December. */
  month: number;
}

const TIME_ZONE = 'Europe/Athens';
const HOUR_MS = 3_600_000;
const fmt = new Intl.DateTimeFormat('en-US', {
  timeZone: TIME_ZONE, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric',
});
/** UTC offset (ms) by UTC hour: Athens changes offset only on whole UTC hours (01:00 UTC). */
const offsets = new Map<number, number>();

function offsetMs(t: number): number {
  const hour = Math.floor(t / HOUR_MS);
  let off = offsets.get(hour);
  if (off === undefined) {
    const at = hour * HOUR_MS;
    const p = { year: 0, month: 0, day: 0, hour: 0, minute: 0 };
    for (const part of fmt.formatToParts(at)) if (part.type in p) p[part.type as keyof typeof p] = Number(part.value);
    off = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute) - at;
    if (offsets.size > 10_000) offsets.clear();
    offsets.set(hour, off);
  }
  return off;
}

/** The Europe/Athens local time of an instant (epoch ms), daylight saving time included. */
export function athensTime(t: number): LocalTime {
  const local = new Date(t + offsetMs(t));
  return {
    weekday: local.getUTCDay(),
    minutes: local.getUTCHours() * 60 + local.getUTCMinutes() + local.getUTCSeconds() / 60 + local.getUTCMilliseconds() / 60_000,
    month: local.getUTCMonth() + 1,
  };
}

/** The local calendar day of an instant in Athens, as days since 1970-01-01 (a key for per-day draws). */
export function athensDay(t: number): number {
  return Math.floor((t + offsetMs(t)) / 86_400_000);
}

/** The instant (epoch ms) of local midnight starting Athens day `day` (see {@link athensDay}). */
export function athensMidnight(day: number): number {
  const guess = day * 86_400_000;
  let t = guess - offsetMs(guess);
  t = guess - offsetMs(t);
  return t;
}

/** The instant (epoch ms) of a local wall-clock time in Athens, e.g. `athensInstant(2025, 3, 3, 8, 30)`. */
export function athensInstant(year: number, month: number, day: number, hour: number, minute = 0): number {
  const guess = Date.UTC(year, month - 1, day, hour, minute);
  // Two passes settle the offset even on the day the clocks change.
  let t = guess - offsetMs(guess);
  t = guess - offsetMs(t);
  return t;
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
