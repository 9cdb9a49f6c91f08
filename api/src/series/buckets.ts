import type { CityClock, LocalBucket } from '@cityhub/contracts';

const DAY_S = 86_400;
const HOUR_MS = 3_600_000;

/**
 * How a range is cut into buckets. A step of whole days cuts it at local midnights of the zone (a day is 23
 * or 25 hours long when the clocks change); a shorter step at multiples of the step from the epoch (UTC).
 */
export interface Bucketing {
  stepS: number;
  /** The zone of the local days (stated in every answer, even for shorter steps). */
  tz: string;
  /** True when the buckets are local calendar days. */
  local: boolean;
  /** How many buckets. */
  count: number;
  /** The start of bucket `i`; `edge(count)` is the end of the last. */
  edge(i: number): number;
}

/**
 * The buckets that cover [from, to): whole local days from the local day of `from` (step a whole number of
 * days), else whole epoch-aligned steps (the range widened to them).
 */
export function bucketing(from: number, to: number, stepS: number, clock: CityClock): Bucketing {
  if (stepS % DAY_S === 0) {
    const days = stepS / DAY_S;
    const d0 = clock.dayNumber(from);
    const count = Math.max(1, Math.ceil((clock.dayNumber(to - 1) + 1 - d0) / days));
    const edges = Array.from({ length: count + 1 }, (_, i) => clock.dayStart(d0 + i * days));
    return { stepS, tz: clock.zone, local: true, count, edge: (i) => edges[i]! };
  }
  const ms = stepS * 1000;
  const start = Math.floor(from / ms) * ms;
  const end = Math.max(start + ms, Math.ceil(to / ms) * ms);
  return { stepS, tz: clock.zone, local: false, count: (end - start) / ms, edge: (i) => start + i * ms };
}

/** Each local bucket with its length in hours (null for epoch buckets), and a note naming the days not 24 h long. */
export function describeBuckets(b: Bucketing, clock: CityClock): { buckets: LocalBucket[] | null; note: string | null } {
  if (!b.local) return { buckets: null, note: null };
  const buckets: LocalBucket[] = [];
  const odd: string[] = [];
  for (let i = 0; i < b.count; i++) {
    buckets.push({ start: new Date(b.edge(i)).toISOString(), hours: (b.edge(i + 1) - b.edge(i)) / HOUR_MS });
  }
  for (let d = clock.dayNumber(b.edge(0)); clock.dayStart(d) < b.edge(b.count); d++) {
    const hours = (clock.dayStart(d + 1) - clock.dayStart(d)) / HOUR_MS;
    if (hours !== 24) odd.push(`${clock.dayKey(clock.dayStart(d))} has ${hours} hours`);
  }
  const note = odd.length
    ? `Buckets are local calendar days in ${b.tz}; the clocks change in this range: ${odd.join(', ')}.`
    : null;
  return { buckets, note };
}

/**
 * The widest stored resolution (1 h, 15 min, 1 min) every bucket edge of [i0, i1] falls on, in seconds: local
 * days are composed from it. Zones a quarter hour off the hour use 15 min; anything else 1 min.
 */
export function baseStepS(b: Bucketing, i0: number, i1: number): number {
  for (const s of [3600, 900, 60]) {
    // Epoch buckets are whole steps: the first edge tells for all.
    let fits = b.local || b.stepS % s === 0;
    for (let i = i0; fits && i <= (b.local ? i1 : i0); i++) fits = b.edge(i) % (s * 1000) === 0;
    if (fits) return s;
  }
  return b.stepS;
}
