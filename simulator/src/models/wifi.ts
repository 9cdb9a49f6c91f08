import { cityClock, type CityClock, type HotspotProperties, type WifiReading } from '@cityhub/contracts';
import { dayType, dayWindow, hm, localTime, type DayType } from './day.js';
import { clamp, hash01, jitter, param, round, seedOf, smooth } from './noise.js';

/*
 * Public Wi-Fi model of one hotspot (the city's local time: Europe/Athens unless CITYHUB_TZ says otherwise).
 *
 * - Occupancy f(t) in [0, 1] is the highest of the venue category's windows for the day type, each a
 *   level over [start, end] with 30-minute ramps, and never below the category's night floor:
 *   museum   09:00–17:00 open (0.5), 11:00–14:00 busiest (0.7); closed: staff only (0.01).
 *   square   mornings 08:00–12:00 (0.15), afternoons 12:00–19:00 (0.3), evenings 19:00–23:30 (0.8;
 *            weekends 0.9 until 01:00); night 0.03.
 *   sports   training 09:00–17:00 (0.05), evenings 18:00–22:00 (0.45 weekdays); weekend match
 *            17:00–21:00 (0.7); night 0.01.
 *   culture  daytime 10:00–18:00 (0.15), performances 19:30–23:00 (0.6); night 0.02.
 *   port     07:00–21:00 (0.35); night 0.04.
 *   other    (monuments, market, station) 08:00–21:00 (0.3), 17:00–20:00 (0.45); night 0.03.
 * - Slow noise (10-minute value noise, ±20 %) scales f; clients = capacity × f ± 1, capped by capacity.
 * - rx_kbps = clients × per-hotspot rate (60–180 kbps per client, drawn once) × (1 ± 30 %) + 5 kbps of
 *   management traffic; tx_kbps = rx × per-hotspot uplink share (20–35 %).
 * - Evening events (matches, concerts, performances, festivals) at sports, culture and square venues: on
 *   some days (sports 20 % of weekdays and 45 % of weekend days, culture 30 %, squares 8 % and 20 %) an
 *   event starts between 18:30 and 20:30 local time, lasts 2–3 h and draws 70–100 % of capacity. The crowd
 *   arrives over the hour before the start and leaves over the half hour after the end; clients are the
 *   higher of the event crowd and the usual occupancy. Drawn per venue and local day from the hotspot id.
 */

interface Win { start: number; end: number; level: number }
interface Profile { floor: number; days: Record<DayType, Win[]> }
const same = (w: Win[]): Record<DayType, Win[]> => ({ weekday: w, saturday: w, sunday: w });

const PROFILES: Record<string, Profile> = {
  museum: { floor: 0.01, days: same([{ start: hm(9), end: hm(17), level: 0.5 }, { start: hm(11), end: hm(14), level: 0.7 }]) },
  square: {
    floor: 0.03,
    days: {
      weekday: [{ start: hm(8), end: hm(12), level: 0.15 }, { start: hm(12), end: hm(19), level: 0.3 }, { start: hm(19), end: hm(23, 30), level: 0.8 }],
      saturday: [{ start: hm(9), end: hm(12), level: 0.2 }, { start: hm(12), end: hm(19), level: 0.4 }, { start: hm(19), end: hm(25), level: 0.9 }],
      sunday: [{ start: hm(10), end: hm(19), level: 0.35 }, { start: hm(19), end: hm(25), level: 0.9 }],
    },
  },
  sports: {
    floor: 0.01,
    days: {
      weekday: [{ start: hm(9), end: hm(17), level: 0.05 }, { start: hm(18), end: hm(22), level: 0.45 }],
      saturday: [{ start: hm(9), end: hm(17), level: 0.05 }, { start: hm(17), end: hm(21), level: 0.7 }],
      sunday: [{ start: hm(9), end: hm(17), level: 0.05 }, { start: hm(17), end: hm(21), level: 0.7 }],
    },
  },
  culture: { floor: 0.02, days: same([{ start: hm(10), end: hm(18), level: 0.15 }, { start: hm(19, 30), end: hm(23), level: 0.6 }]) },
  port: { floor: 0.04, days: same([{ start: hm(7), end: hm(21), level: 0.35 }]) },
  other: { floor: 0.03, days: same([{ start: hm(8), end: hm(21), level: 0.3 }, { start: hm(17), end: hm(20), level: 0.45 }]) },
};

/** The occupancy profile of a venue category (unknown categories use "other"). */
export function wifiProfile(category: string): Profile {
  return PROFILES[category] ?? PROFILES.other!;
}

/** Occupancy f in [0, 1] of a venue category at local minutes `m` of a day type (before noise). */
export function wifiOccupancy(category: string, day: DayType, m: number): number {
  const p = wifiProfile(category);
  let f = p.floor;
  for (const w of p.days[day]) f = Math.max(f, w.level * dayWindow(m, w.start, w.end));
  return f;
}

/** Chance of an evening event per local day, by venue category: [weekday, weekend]. */
const EVENT_CHANCE: Record<string, [number, number]> = { sports: [0.2, 0.45], culture: [0.3, 0.3], square: [0.08, 0.2] };
const MIN_MS = 60_000;
const ARRIVAL_MS = 60 * MIN_MS;
const LEAVING_MS = 30 * MIN_MS;
const EVENT_SALT = 0x6e7e47;

/** An evening event at a venue: the crowd is there at `attendance` × capacity from `start` to `end`. */
export interface WifiEvent { start: number; end: number; attendance: number }

/** Options of the Wi-Fi model. */
export interface WifiOptions {
  /** Evening events at sports, culture and square venues (default true). */
  events?: boolean;
  /** Mixed into the event draws: another seed, other event days (default 0). */
  seed?: number;
  /** The city clock the venues' days follow (default Europe/Athens). */
  clock?: CityClock;
}

/** The event at `hotspot` on local day `day` (see CityClock.dayNumber), or null if there is none that day. */
export function wifiEventOn(hotspot: HotspotProperties, day: number, seed = 0, clock: CityClock = cityClock()): WifiEvent | null {
  const chance = EVENT_CHANCE[hotspot.category];
  if (!chance) return null;
  const s = seedOf(hotspot.id) ^ EVENT_SALT ^ (seed >>> 0);
  const midnight = clock.dayStart(day);
  const weekend = dayType(localTime(clock, midnight + 12 * 3_600_000).weekday) !== 'weekday';
  if (hash01(s, day * 4) >= chance[weekend ? 1 : 0]) return null;
  const start = midnight + (hm(18, 30) + 30 * Math.floor(hash01(s, day * 4 + 1) * 5)) * MIN_MS;
  const end = start + (120 + Math.floor(hash01(s, day * 4 + 2) * 61)) * MIN_MS;
  return { start, end, attendance: 0.7 + 0.3 * hash01(s, day * 4 + 3) };
}

/** The share of capacity an event crowd fills at `t`: ramps up before the start and down after the end. */
export function eventCrowd(e: WifiEvent, t: number): number {
  if (t <= e.start - ARRIVAL_MS || t >= e.end + LEAVING_MS) return 0;
  if (t < e.start) return e.attendance * (1 - (e.start - t) / ARRIVAL_MS);
  if (t <= e.end) return e.attendance;
  return e.attendance * (1 - (t - e.end) / LEAVING_MS);
}

/** The event whose crowd is at `hotspot` at instant `t`, or null. */
export function wifiEventAt(hotspot: HotspotProperties, t: number, seed = 0, clock: CityClock = cityClock()): WifiEvent | null {
  if (!EVENT_CHANCE[hotspot.category]) return null;
  const day = clock.dayNumber(t);
  // An event of the day before can run past midnight.
  for (const d of [day, day - 1]) {
    const e = wifiEventOn(hotspot, d, seed, clock);
    if (e && eventCrowd(e, t) > 0) return e;
  }
  return null;
}

/** The metrics of one Wi-Fi reading: every metric of the contract's Wi-Fi reading. */
export type WifiMetrics = Required<Omit<WifiReading, 'ts' | 'seq'>>;

/** One Wi-Fi reading's metrics for `hotspot` at instant `t` (epoch ms). */
export function wifiAt(hotspot: HotspotProperties, t: number, opts: WifiOptions = {}): WifiMetrics {
  const seed = seedOf(hotspot.id);
  const clock = opts.clock ?? cityClock();
  const lt = localTime(clock, t);
  let f = wifiOccupancy(hotspot.category, dayType(lt.weekday), lt.minutes);
  const event = opts.events === false ? null : wifiEventAt(hotspot, t, opts.seed, clock);
  if (event) f = Math.max(f, eventCrowd(event, t));
  f *= 1 + 0.2 * smooth(seed, t, 10 * 60_000);
  const clients = Math.round(clamp(hotspot.capacity * f + jitter(seed, t), 0, hotspot.capacity));
  const perClient = param(seed, 1, 60, 180);
  const rx = clients * perClient * (1 + 0.3 * jitter(seed ^ 1, t)) + 5;
  const tx = rx * param(seed, 2, 0.2, 0.35);
  return { clients, rx_kbps: round(rx, 1), tx_kbps: round(tx, 1) };
}
