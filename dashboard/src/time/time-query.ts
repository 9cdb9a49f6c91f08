/**
 * Time spans, steps and their alignment. The store keeps 1-minute, 15-minute and 1-hour rollups whose
 * buckets start at multiples of the step from the epoch (UTC); every query here asks for a step those
 * rollups can answer over a range aligned to it, so the API reads few rollup rows instead of raw readings.
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;

/** `t` rounded down to a multiple of `stepMs` from the epoch. */
export function alignDown(t: number, stepMs: number): number {
  return Math.floor(t / stepMs) * stepMs;
}

/** `t` rounded up to a multiple of `stepMs` from the epoch. */
export function alignUp(t: number, stepMs: number): number {
  return Math.ceil(t / stepMs) * stepMs;
}

/** A step as the API spells it, with its length. */
export interface Step { readonly param: string; readonly ms: number }
export const STEP_1M: Step = { param: '60s', ms: MINUTE_MS };
export const STEP_15M: Step = { param: '15m', ms: 15 * MINUTE_MS };
export const STEP_1H: Step = { param: '1h', ms: HOUR_MS };

/** The asset panel's chart ranges and the step each is read at. */
export const PANEL_RANGES = {
  '1h': { label: '1 h', spanMs: HOUR_MS, step: STEP_1M },
  '24h': { label: '24 h', spanMs: DAY_MS, step: STEP_15M },
  '7d': { label: '7 d', spanMs: WEEK_MS, step: STEP_1H },
  '30d': { label: '30 d', spanMs: 30 * DAY_MS, step: STEP_1H },
} as const satisfies Record<string, { label: string; spanMs: number; step: Step }>;
export type PanelRange = keyof typeof PANEL_RANGES;
export const PANEL_RANGE_KEYS = Object.keys(PANEL_RANGES) as PanelRange[];

/** The analysis views' periods (ending at the dashboard's time). */
export const PERIODS = {
  '24h': { label: '24 h', spanMs: DAY_MS },
  '7d': { label: '7 days', spanMs: WEEK_MS },
  '30d': { label: '30 days', spanMs: 30 * DAY_MS },
} as const satisfies Record<string, { label: string; spanMs: number }>;
export type Period = keyof typeof PERIODS;
export const PERIOD_KEYS = Object.keys(PERIODS) as Period[];

/**
 * Play speeds of the time slider: how much dashboard time passes per second, the step the map is read at
 * (one bucket per speed unit) and how much history one request fetches.
 */
export const PLAY_SPEEDS = {
  '1m': { label: '1 min/s', step: STEP_1M, windowMs: 2 * HOUR_MS },
  '15m': { label: '15 min/s', step: STEP_15M, windowMs: DAY_MS },
  '1h': { label: '1 h/s', step: STEP_1H, windowMs: WEEK_MS },
} as const satisfies Record<string, { label: string; step: Step; windowMs: number }>;
export type PlaySpeed = keyof typeof PLAY_SPEEDS;
export const PLAY_SPEED_KEYS = Object.keys(PLAY_SPEEDS) as PlaySpeed[];

/** A `/series` time range: [from, to) in epoch ms at one step. */
export interface Span { from: number; to: number; step: Step }

/**
 * The range a chart of `spanMs` ending at `end` is read over: the end rounded up to the step (the current,
 * partial bucket included), the start exactly `spanMs` earlier, so both are bucket boundaries.
 */
export function spanEndingAt(end: number, spanMs: number, step: Step): Span {
  const to = alignUp(end + 1, step.ms);
  return { from: to - spanMs, to, step };
}

/**
 * The fixed windows (starts, ascending) that together cover [t − lookbackMs, t]: windows are aligned to
 * their own length, so the same moment always falls in the same window and fetched windows can be cached.
 */
export function windowsCovering(t: number, lookbackMs: number, windowMs: number): number[] {
  const first = alignDown(t - lookbackMs, windowMs);
  const last = alignDown(t, windowMs);
  const out: number[] = [];
  for (let w = first; w <= last; w += windowMs) out.push(w);
  return out;
}

/**
 * The range a chart of `spanMs` shows around the dashboard's moment. Live, it ends now. In the past it ends
 * at the next quarter-span boundary after `t` (never after now): the moment is inside the last quarter of the
 * chart, and while the player runs the range moves in quarter-span jumps instead of refetching every frame.
 */
export function chartSpan(t: number, live: boolean, now: number, spanMs: number, step: Step): Span {
  if (live) return spanEndingAt(now, spanMs, step);
  const quarter = spanMs / 4;
  const end = Math.min(alignUp(t + 1, quarter), alignUp(now + 1, step.ms));
  return { from: end - spanMs, to: end, step };
}
