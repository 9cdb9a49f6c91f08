/**
 * The city's wall-clock time: local days, hours of the week, wall time → instant. Every profile, heatmap,
 * "night", KPI period and simulated daily pattern is in the city's own time zone, whatever zone the server or the
 * browser runs in. The zone is configuration (`CITYHUB_TZ`, an IANA name; Europe/Athens for Thessaloniki).
 *
 * Pure: only `Intl`, so it runs in Node and in the browser. Correct for zones whose offset is not a whole hour
 * (Asia/Kathmandu +05:45, Australia/Adelaide +09:30, Australia/Lord_Howe's half-hour daylight saving): offsets are
 * looked up once per UTC quarter hour, the finest step at which any zone in the IANA database changes its offset.
 */

/** The zone City Hub uses when none is configured: Thessaloniki's. */
export const DEFAULT_CITY_TZ = 'Europe/Athens';

const MINUTE_MS = 60_000;
const QUARTER_MS = 15 * MINUTE_MS;
const DAY_MS = 86_400_000;
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;

/** A moment as the city's clocks show it. `dow` counts from Monday = 0; `weekday` from Sunday = 0 (as `Date`). */
export interface LocalParts {
  year: number;
  /** 1 = January … 12 = December. */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  /** Monday = 0 … Sunday = 6. */
  dow: number;
  /** Sunday = 0 … Saturday = 6. */
  weekday: number;
}

/** True when `zone` is an IANA time zone this runtime knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const two = (n: number): string => String(n).padStart(2, '0');

/** The wall-clock time of one zone. Build one per zone with {@link cityClock} (cached). */
export class CityClock {
  private readonly offsets = new Map<number, number>();
  private readonly parts: Intl.DateTimeFormat;
  private readonly label: Intl.DateTimeFormat;

  constructor(readonly zone: string) {
    if (!isTimeZone(zone)) throw new RangeError(`unknown time zone ${JSON.stringify(zone)}`);
    this.parts = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric',
    });
    this.label = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    });
  }

  /** The zone's offset from UTC at `ms`, in milliseconds (7,200,000 in an Athens winter). */
  offsetMs(ms: number): number {
    const key = Math.floor(ms / QUARTER_MS);
    let off = this.offsets.get(key);
    if (off === undefined) {
      const at = key * QUARTER_MS;
      const p = { year: 0, month: 0, day: 0, hour: 0, minute: 0 };
      for (const part of this.parts.formatToParts(at)) if (part.type in p) p[part.type as keyof typeof p] = Number(part.value);
      off = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute) - at;
      if (this.offsets.size > 50_000) this.offsets.clear();
      this.offsets.set(key, off);
    }
    return off;
  }

  /** The zone's offset from UTC at `ms`, in minutes (120 in an Athens winter, 180 in summer, 345 in Kathmandu). */
  offsetMinutes(ms: number): number {
    return this.offsetMs(ms) / MINUTE_MS;
  }

  /** The local date and time of `ms` (epoch milliseconds). */
  localParts(ms: number): LocalParts {
    const d = new Date(ms + this.offsetMs(ms));
    const weekday = d.getUTCDay();
    return {
      year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(),
      hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), millisecond: d.getUTCMilliseconds(),
      dow: (weekday + 6) % 7, weekday,
    };
  }

  /** The local hour of day (0–23). */
  hour(ms: number): number {
    return new Date(ms + this.offsetMs(ms)).getUTCHours();
  }

  /** Minutes since local midnight, fractional (0 ≤ m < 1440). */
  minuteOfDay(ms: number): number {
    const local = ms + this.offsetMs(ms);
    return (((local % DAY_MS) + DAY_MS) % DAY_MS) / MINUTE_MS;
  }

  /** The local hour of the week: Monday 00:00–00:59 is 0, Sunday 23:00–23:59 is 167. */
  hourOfWeek(ms: number): number {
    const p = this.localParts(ms);
    return p.dow * 24 + p.hour;
  }

  /** The local calendar day of `ms` as `YYYY-MM-DD`. */
  dayKey(ms: number): string {
    const p = this.localParts(ms);
    return `${p.year}-${two(p.month)}-${two(p.day)}`;
  }

  /** The local calendar day of `ms` as days since 1970-01-01 (a key for per-day draws and sums). */
  dayNumber(ms: number): number {
    return Math.floor((ms + this.offsetMs(ms)) / DAY_MS);
  }

  /** The instant local day `day` (see {@link dayNumber}) starts: its first moment, midnight unless a change skips it. */
  dayStart(day: number): number {
    const p = new Date(day * DAY_MS);
    return this.fromLocal(p.getUTCFullYear(), p.getUTCMonth() + 1, p.getUTCDate());
  }

  /** The instant the local day containing `ms` starts. */
  startOfDay(ms: number): number {
    return this.dayStart(this.dayNumber(ms));
  }

  /**
   * The instant the city's clocks read the given wall time (month 1–12). A time skipped by a spring change is read
   * with the offset before the change (it falls as far after the change as it was meant to be after its start); a
   * time that happens twice in autumn gives the first of the two.
   */
  fromLocal(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, millisecond = 0): number {
    const wall = Date.UTC(year, month - 1, day, hour, minute, second, millisecond);
    // The offsets in force a day either side bracket every real change (none comes closer than a day to another).
    const early = wall - this.offsetMs(wall - DAY_MS);
    const late = wall - this.offsetMs(wall + DAY_MS);
    for (const t of [Math.min(early, late), Math.max(early, late)]) {
      if (t + this.offsetMs(t) === wall) return t;
    }
    return early;
  }

  /** A moment for people, in the city's time: `Tue 4 Nov, 08:15`. */
  format(ms: number): string {
    return this.label.format(ms);
  }

  /** `YYYY-MM-DDTHH:MM` in the city's time, as an `<input type="datetime-local">` holds it. */
  toLocalInput(ms: number): string {
    const p = this.localParts(ms);
    return `${p.year}-${two(p.month)}-${two(p.day)}T${two(p.hour)}:${two(p.minute)}`;
  }

  /** Reads `YYYY-MM-DDTHH:MM` (or a bare `YYYY-MM-DD`, its midnight) as the city's time; null when it is neither. */
  fromLocalInput(v: string): number | null {
    const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?$/.exec(v.trim());
    if (!m) return null;
    const [y, mo, d, h, mi] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number, number];
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59) return null;
    return this.fromLocal(y, mo, d, h, mi);
  }
}

const clocks = new Map<string, CityClock>();

/** The clock of `zone` (default the city's), built once per zone. Throws a RangeError for an unknown zone. */
export function cityClock(zone: string = DEFAULT_CITY_TZ): CityClock {
  let c = clocks.get(zone);
  if (!c) {
    c = new CityClock(zone);
    clocks.set(zone, c);
  }
  return c;
}

/** Short weekday names, Monday first, for heatmap rows. */
export const WEEKDAY_LABELS = WEEKDAYS;
