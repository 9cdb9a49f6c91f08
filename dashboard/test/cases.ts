/**
 * Render tests as data: each folder under `test/cases/` holds a `case.json` with the readings to publish (as
 * series of relative times and value rules), the URL state to open, and steps of actions and expectations.
 * This file reads them and turns their series into readings; `dashboard.browser.test.ts` runs them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { AssetCollection, Kind } from '@cityhub/contracts';
import type { TestHub } from '../../test/harness.js';

export const CASES_DIR = join(import.meta.dirname, 'cases');
const HOUR = 3_600_000;
const UNIT: Record<string, number> = { s: 1000, m: 60_000, h: HOUR, d: 24 * HOUR };

/**
 * A value rule: a constant; one value per local hour of day (Thessaloniki), with other values on Saturdays and
 * Sundays if `weekend` is given; or a counter integrating another metric (kWh from kW).
 */
export type ValueRule = number | { byLocalHour: number[]; weekend?: number[] } | { integrate: string; start: number };

/** Readings every `every` from `from` to `to` (both included), relative times like `now-90m` or `hour-7d-1h`. */
export interface SeriesSpec { from: string; to: string; every: string; values: Record<string, ValueRule> }

/** One action of a step (exactly one key). */
export interface Action {
  slide?: string;
  setTime?: string;
  open?: string;
  click?: string;
  press?: string;
  view?: string;
  period?: string;
  range?: string;
  buildings?: 'load' | 'intensity';
  viewport?: [number, number];
  hover?: string;
  focus?: string;
  /** Feeds a reading through the live path (as the socket would), timestamped now. */
  applyLive?: { asset: string; values: Record<string, number> };
  /** Clicks this selector and keeps the file it downloads. */
  download?: string;
  /** Waits this many milliseconds (the player runs meanwhile). */
  wait?: number;
  /** Scrolls this element sideways to its right end, as a swipe would. */
  scrollEnd?: string;
}

/** What a step checks once the dashboard has settled. */
export interface Expectation {
  /** Feature-state per asset (numbers compared to 6 decimals). */
  state?: Record<string, Record<string, number | boolean | null>>;
  /** The colour drawn where only this asset is, as `#rrggbb`. */
  colour?: Record<string, string>;
  /** The panel's chart equals what `/series` answers for its URLs (and last week's, shifted a week, when comparing). */
  panel?: { asset: string; range?: string; compare?: boolean; endsNear?: string };
  /** The energy ranking: equal to what the test computes from `/series`, and the given hand-computed numbers. */
  energy?: { rows?: Record<string, Record<string, number | null>>; sortedBy?: string; first?: string };
  /** The congestion index at the moment equals the one computed from `/series`; heatmap cells by [weekday, hour, km/h]. */
  traffic?: { congestionAt?: 'api'; heatmap?: { asset: string; cells: [number, number, number][] } };
  /** Hotspots listed offline / online, and availability equal to the one computed from `/series`. */
  wifi?: { offline?: string[]; online?: string[]; availability?: 'api' };
  /** Values of the URL state. */
  url?: Record<string, unknown>;
  /** Text of elements, as regular expressions. */
  text?: Record<string, string>;
  /** Computed CSS properties of elements. */
  style?: Record<string, Record<string, string>>;
  /** Whether elements are visible. */
  visible?: Record<string, boolean>;
  /** Touch targets: every visible element matching each selector is at least 44 px wide and tall (and there is one). */
  targets?: string[];
  /** The last download is the energy ranking's CSV, one line per building with the view's numbers. */
  csv?: boolean;
  /** The map style's first layer ids (a basemap goes under the city). */
  layersStartWith?: string[];
  /** The colour at a point of the map given as fractions of its width and height. */
  pixel?: { at: [number, number]; colour: string };
  /** The dashboard's clock: playing or not, and how far past `from` it has moved (at least, at most). */
  clock?: { playing?: boolean; live?: boolean; from?: string; movedAtLeast?: string; movedAtMost?: string };
}

export interface Step {
  do?: Action;
  expect?: Expectation;
  /** Saves `test-results/dashboard/<case>-<screenshot>.png`; with `docs`, also `docs/screenshots/<docs>.png`. */
  screenshot?: string;
  docs?: string;
}

export interface PublishSpec { asset: string; series: SeriesSpec[] }

export interface TestCase {
  name: string;
  title: string;
  publish: PublishSpec[];
  /** Query parameters of the page (times relative). */
  url?: Record<string, string>;
  /** Window size to open the page at (default 1280×800). */
  viewport?: [number, number];
  /** A basemap style the page's configuration points to (served by the test, as `GET /api/v1/config` would). */
  basemap?: Record<string, unknown>;
  steps: Step[];
}

/** Every case, in folder-name order. */
export function loadCases(dir = CASES_DIR): TestCase[] {
  return readdirSync(dir).filter((n) => statSync(join(dir, n)).isDirectory()).sort().map((name) => {
    const c = JSON.parse(readFileSync(join(dir, name, 'case.json'), 'utf8')) as Omit<TestCase, 'name'>;
    if (!c.title || !Array.isArray(c.steps)) throw new Error(`case ${name}: needs a title and steps`);
    return { name, ...c, publish: c.publish ?? [] };
  });
}

/** The moments relative times are read against: `now` and the start of its hour (UTC). */
export interface Anchors { now: number; hour: number }

export function anchorsAt(now: number): Anchors {
  return { now, hour: Math.floor(now / HOUR) * HOUR };
}

/**
 * Reads `now`, `hour-7d-1h`, `now+2m`, `athens@08:30` (the last time Thessaloniki's clocks showed 08:30, at
 * least a minute before now) or `live` (null) against the anchors.
 */
export function resolveTime(text: string, a: Anchors): number | null {
  if (text === 'live') return null;
  const m = /^(now|hour|athens@\d\d:\d\d)((?:[+-]\d+[smhd])*)$/.exec(text);
  if (!m) throw new Error(`not a relative time: ${text}`);
  let t = m[1] === 'now' ? a.now : m[1] === 'hour' ? a.hour : lastAthens(m[1]!.slice(7), a.now);
  for (const [, sign, n, unit] of m[2]!.matchAll(/([+-])(\d+)([smhd])/g)) t += (sign === '-' ? -1 : 1) * Number(n) * UNIT[unit!]!;
  return t;
}

export function durationMs(text: string): number {
  const m = /^(\d+)([smhd])$/.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * UNIT[m[2]!]!;
}

const hmFormat = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Athens', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
/** The last minute before `now` at which Thessaloniki's clocks showed `hh:mm`. */
function lastAthens(hhmm: string, now: number): number {
  for (let t = Math.floor(now / 60_000) * 60_000 - 60_000; t > now - 2 * 86_400_000; t -= 60_000) if (hmFormat.format(t) === hhmm) return t;
  throw new Error(`no ${hhmm} in the last two days`);
}

const hourFormat = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Athens', hour: '2-digit', hourCycle: 'h23' });
/** The hour of day in Thessaloniki (independent of the dashboard's own code). */
export function athensHour(t: number): number {
  return Number(hourFormat.format(t));
}

const weekdayFormat = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Athens', weekday: 'short' });
/** Saturday or Sunday in Thessaloniki. */
export function isWeekend(t: number): boolean {
  return ['Sat', 'Sun'].includes(weekdayFormat.format(t));
}

/** A reading as the MQTT payload schema has it. */
export type Payload = { ts: number; seq: number } & Record<string, number>;

/**
 * The readings of an asset's series, in time order with sequence numbers from 1. A counter (`integrate`)
 * adds the integrated metric's previous value × the hours since the previous reading, so energy over any
 * span of readings is the sum of power × time: exact numbers to check the ranking against.
 */
export function readingsOf(spec: PublishSpec, a: Anchors): Payload[] {
  const out: Payload[] = [];
  const counters = new Map<string, number>();
  let prev: Payload | undefined;
  for (const s of spec.series) {
    const from = resolveTime(s.from, a)!;
    const to = resolveTime(s.to, a)!;
    const every = durationMs(s.every);
    for (let t = from; t <= to; t += every) {
      const r: Payload = { ts: t, seq: out.length + 1 };
      for (const [metric, rule] of Object.entries(s.values)) {
        if (typeof rule === 'number') r[metric] = rule;
        else if ('byLocalHour' in rule) r[metric] = (rule.weekend && isWeekend(t) ? rule.weekend : rule.byLocalHour)[athensHour(t)]!;
      }
      for (const [metric, rule] of Object.entries(s.values)) {
        if (typeof rule !== 'object' || !('integrate' in rule)) continue;
        const last = counters.get(metric);
        const add = prev ? (prev[rule.integrate] ?? 0) * ((t - prev.ts) / HOUR) : 0;
        const v = last === undefined ? rule.start : last + add;
        counters.set(metric, v);
        r[metric] = Math.round(v * 1000) / 1000;
      }
      out.push(r);
      prev = r;
    }
  }
  return out;
}

/** The kind of an asset id, by the catalogue's prefixes. */
export function kindOf(asset: string): Kind {
  if (asset.startsWith('link-')) return 'traffic';
  if (asset.startsWith('hotspot-')) return 'wifi';
  if (asset.startsWith('building-')) return 'energy';
  throw new Error(`unknown asset kind: ${asset}`);
}

/** What a case runs against: the hub, the time anchors, the catalogue, and where screenshots go. */
export interface RunContext { hub: TestHub; anchors: Anchors; catalogue: AssetCollection; shots: string; docs: string }
