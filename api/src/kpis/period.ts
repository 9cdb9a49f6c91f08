import { ApiError } from '../errors.js';

const HOUR = 3_600_000;
/** The longest period KPIs are computed over. */
export const MAX_KPI_DAYS = 366;

/**
 * The whole hours [from, to) a `/kpis` request is computed over, at `now` (epoch ms). The period ends at the last
 * complete hour at or before the asked `to` (default now), never after now: a partial hour, or one still to
 * come, would count time that has not happened (availability "missed" for readings not due yet). `from` is
 * rounded down to its hour (default 24 h before `to`).
 */
export function kpiPeriod(q: { from?: number; to?: number }, now: number): { from: number; to: number } {
  const to = Math.floor(Math.min(q.to ?? now, now) / HOUR) * HOUR;
  const from = Math.floor((q.from ?? to - 24 * HOUR) / HOUR) * HOUR;
  if (from >= to) throw new ApiError('BAD_REQUEST', 'from must be before to, and the period must hold a complete hour before now');
  if (to - from > MAX_KPI_DAYS * 24 * HOUR) throw new ApiError('BAD_REQUEST', `KPIs are computed over at most ${MAX_KPI_DAYS} days`);
  return { from, to };
}
