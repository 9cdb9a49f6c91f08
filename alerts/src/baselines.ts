import type { CityClock, Kind, Logger, Rule } from '@cityhub/contracts';
import type { Store } from '@cityhub/store';

type UsualRule = Extract<Rule, { type: 'usual' }>;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const WEEK_MS = 7 * DAY_MS;
/** Weekly values an hour of the week needs before its median is the usual; with fewer, the same hour of the day. */
const MIN_WEEKS = 2;
/** The fallback: the same local hour over the last this many days, when it has at least `MIN_DAYS` values. */
const FALLBACK_DAYS = 7;
const MIN_DAYS = 3;
/** A failed refresh is tried again after this long (hub clock). */
const RETRY_MS = 60_000;

/** Options of {@link Baselines}. */
export interface BaselineOptions {
  store: Pick<Store, 'series'>;
  rules: () => readonly Rule[];
  /** The ids of the assets of a kind (the catalogue's), all asked for in one query. */
  assets: (kind: Kind) => readonly string[];
  /** The city's clock, whose hours of the week the usual values follow. */
  clock: CityClock;
  logger: Logger;
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * One asset's usual value for each local hour of the week (168, Monday 00:00 first; NaN where there is none)
 * from its hourly means over [to − weeks, to): the median of the same hour of the week when at least two weeks
 * have it, else the median of the same hour of the day over the last 7 days when at least three days have it.
 * Null when no hour has a usual value.
 */
export function usualTable(points: ReadonlyArray<readonly [number, number]>, clock: CityClock, to: number): Float64Array | null {
  const byWeekHour: number[][] = Array.from({ length: 168 }, () => []);
  const byDayHour: number[][] = Array.from({ length: 24 }, () => []);
  for (const [ts, v] of points) {
    const h = clock.hourOfWeek(ts);
    byWeekHour[h]!.push(v);
    if (ts >= to - FALLBACK_DAYS * DAY_MS) byDayHour[h % 24]!.push(v);
  }
  const table = new Float64Array(168).fill(Number.NaN);
  let any = false;
  for (let h = 0; h < 168; h++) {
    const week = byWeekHour[h]!;
    const day = byDayHour[h % 24]!;
    if (week.length >= MIN_WEEKS) table[h] = median(week);
    else if (day.length >= MIN_DAYS) table[h] = median(day);
    else continue;
    any = true;
  }
  return any ? table : null;
}

const groupKey = (kind: Kind, metric: string, weeks: number): string => `${kind}|${metric}|${weeks}`;

/**
 * The usual value of each asset's metric for each hour of the week, for the `usual` rules: computed with one
 * store query per kind and metric (hourly means from the 1 h rollups over the rules' weeks), kept in memory and
 * refreshed once an hour, so that evaluating a reading is a lookup. An asset without enough history has no
 * usual value, and its rules stay quiet; each refresh logs how many assets have one.
 */
export class Baselines {
  private tables = new Map<string, Float64Array>();
  private refreshedHour = Number.NaN;
  /** The rule groups (kind, metric, weeks) the tables were computed for: a changed rule set is refreshed at once. */
  private refreshedGroups = '';
  private failedAt = Number.NEGATIVE_INFINITY;
  private running: Promise<void> | undefined;
  /** The groups' key of the rule list last seen: readings arrive by the thousand, a rule list changes rarely. */
  private keyOf: { rules: readonly Rule[] | undefined; key: string } = { rules: undefined, key: '' };

  constructor(private readonly o: BaselineOptions) {}

  /**
   * The usual value of `asset` for `rule` at instant `ts`, or undefined. An hourly mean belongs to the middle of
   * its hour: between two middles the usual value runs on the line between them (so a rush that builds up within
   * an hour is followed), and it is the hour's own value where a neighbouring hour has none.
   */
  usual(rule: UsualRule, asset: string, ts: number): number | undefined {
    const t = this.tables.get(`${groupKey(rule.kind, rule.metric, rule.weeks)}|${asset}`);
    if (!t) return undefined;
    const h = this.o.clock.hourOfWeek(ts);
    const v = t[h]!;
    if (Number.isNaN(v)) return undefined;
    const f = (this.o.clock.minuteOfDay(ts) % 60) / 60;
    const other = t[(h + (f < 0.5 ? 167 : 1)) % 168]!;
    return Number.isNaN(other) ? v : v + (other - v) * Math.abs(f - 0.5);
  }

  /** Starts a refresh in the background when the hour of `now` (hub clock) has none yet. */
  maybeRefresh(now: number): void {
    if (this.running || now - this.failedAt < RETRY_MS) return;
    const rules = this.o.rules();
    if (this.keyOf.rules !== rules) this.keyOf = { rules, key: [...this.groups().keys()].join(',') };
    const groups = this.keyOf.key;
    if (!groups || (groups === this.refreshedGroups && Math.floor(now / HOUR_MS) === this.refreshedHour)) return;
    this.running = this.refresh(now).finally(() => {
      this.running = undefined;
    });
  }

  /** Waits for a refresh in progress. */
  async idle(): Promise<void> {
    await this.running;
  }

  /** The enabled usual rules by what their usual values are computed from. */
  private groups(): Map<string, UsualRule[]> {
    const out = new Map<string, UsualRule[]>();
    for (const r of this.o.rules()) {
      if (r.type !== 'usual' || !r.enabled) continue;
      const k = groupKey(r.kind, r.metric, r.weeks);
      out.set(k, [...(out.get(k) ?? []), r]);
    }
    return out;
  }

  /** Recomputes the usual values from the hours before the hour of `now`. A store failure keeps the old ones. */
  async refresh(now: number): Promise<void> {
    const hour = Math.floor(now / HOUR_MS);
    const to = hour * HOUR_MS;
    const groups = this.groups();
    const next = new Map<string, Float64Array>();
    try {
      for (const [key, rules] of groups) {
        const r = rules[0]!;
        const assets = this.o.assets(r.kind);
        if (!assets.length) continue;
        const from = to - Math.max(r.weeks * WEEK_MS, FALLBACK_DAYS * DAY_MS);
        const series = await this.o.store.series({ assets: [...assets], metric: r.metric, from, to, stepS: 3600, agg: 'mean' });
        let found = 0;
        for (const s of series) {
          const table = usualTable(s.points, this.o.clock, to);
          if (!table) continue;
          next.set(`${key}|${s.asset}`, table);
          found++;
        }
        const msg = found < assets.length ? 'usual values: the others have too little history yet, and their usual rules stay quiet' : 'usual values';
        this.o.logger.info({ rules: rules.map((x) => x.id), kind: r.kind, metric: r.metric, weeks: r.weeks, assets: assets.length, withUsual: found }, msg);
      }
    } catch (err) {
      this.failedAt = now;
      this.o.logger.warn({ err: (err as Error).message }, 'usual values not refreshed; the previous ones stay');
      return;
    }
    this.tables = next;
    this.refreshedHour = hour;
    this.refreshedGroups = [...groups.keys()].join(',');
  }
}
