/**
 * Wall-clock time in Thessaloniki (Europe/Athens: UTC+2, UTC+3 in summer). Every profile, heatmap and "night"
 * is in the city's local time, whatever time zone the browser runs in. Pure: only `Intl`.
 */

/** The city's IANA time zone. */
export const CITY_TZ = 'Europe/Athens';

const HOUR_MS = 3_600_000;
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;

/** A moment as Thessaloniki's clocks show it. `dow` counts from Monday = 0. */
export interface LocalParts { year: number; month: number; day: number; hour: number; minute: number; dow: number }

const partsFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: CITY_TZ, weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  hourCycle: 'h23',
});

// Athens' offsets are whole hours, so a UTC hour maps to one local hour: cache per UTC hour, since a month of
// hourly buckets asks for the same few hundred hours over and over.
const byUtcHour = new Map<number, Omit<LocalParts, 'minute'>>();

/** The local date and time of `ms` (epoch milliseconds) in Thessaloniki. */
export function localParts(ms: number): LocalParts {
  const key = Math.floor(ms / HOUR_MS);
  let p = byUtcHour.get(key);
  if (!p) {
    const got: Record<string, string> = {};
    for (const part of partsFormat.formatToParts(key * HOUR_MS)) got[part.type] = part.value;
    p = {
      year: Number(got.year), month: Number(got.month), day: Number(got.day), hour: Number(got.hour),
      dow: WEEKDAYS.indexOf(got.weekday as (typeof WEEKDAYS)[number]),
    };
    if (byUtcHour.size > 20_000) byUtcHour.clear();
    byUtcHour.set(key, p);
  }
  return { ...p, minute: new Date(ms).getUTCMinutes() };
}

/** The local hour of day (0–23). */
export function localHour(ms: number): number {
  return localParts(ms).hour;
}

/** The local hour of the week: Monday 00:00–00:59 is 0, Sunday 23:00–23:59 is 167. */
export function hourOfWeek(ms: number): number {
  const p = localParts(ms);
  return p.dow * 24 + p.hour;
}

/** Thessaloniki's offset from UTC at `ms`, in minutes (120 in winter, 180 in summer). */
export function utcOffsetMinutes(ms: number): number {
  const p = localParts(ms);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
  return Math.round((asUtc - Math.floor(ms / 60_000) * 60_000) / 60_000);
}

/**
 * The moment Thessaloniki's clocks read the given wall time (month 1–12). A time skipped by the spring change
 * (03:00–03:59 on the last Sunday of March) is read with the winter offset, i.e. an hour later in summer time;
 * a time that happens twice in autumn gives the first of the two.
 */
export function fromLocal(year: number, month: number, day: number, hour = 0, minute = 0): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const before = wall - utcOffsetMinutes(wall - 4 * HOUR_MS) * 60_000;
  const after = wall - utcOffsetMinutes(wall + 4 * HOUR_MS) * 60_000;
  // The earlier candidate that really shows this wall time wins; in a gap neither does, so take the winter reading.
  for (const t of [Math.min(before, after), Math.max(before, after)]) {
    if (t + utcOffsetMinutes(t) * 60_000 === wall) return t;
  }
  return before;
}

const labelFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: CITY_TZ, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
});

/** A moment for people, in Thessaloniki time: `Tue 4 Nov, 08:15`. */
export function formatLocal(ms: number): string {
  return labelFormat.format(ms);
}

/** `YYYY-MM-DDTHH:MM` in Thessaloniki time, as an `<input type="datetime-local">` holds it. */
export function toLocalInput(ms: number): string {
  const p = localParts(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${p.year}-${two(p.month)}-${two(p.day)}T${two(p.hour)}:${two(p.minute)}`;
}

/** Reads `YYYY-MM-DDTHH:MM` as Thessaloniki time; null when it is not one. */
export function fromLocalInput(v: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(v);
  if (!m) return null;
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number];
  return fromLocal(y, mo, d, h, mi);
}

/** Short weekday names, Monday first, for heatmap rows. */
export const WEEKDAY_LABELS = WEEKDAYS;
