import { StoreError } from './errors.js';
import type { ColumnarQuery, ColumnarResult, SeriesResult } from './types.js';
import { checkSeriesQuery } from './validate.js';

/** At most this many values (assets × buckets) in one answer in columns. */
export const MAX_COLUMNAR_CELLS = 2_000_000;
/** At most this many decimal digits. */
export const MAX_COLUMNAR_DIGITS = 9;

/** The time axis of a query in columns: the first bucket (epoch-aligned, at or before `from`), the width, how many. */
export function columnarAxis(q: Pick<ColumnarQuery, 'from' | 'to' | 'stepS'>): { first: number; stepMs: number; n: number } {
  const stepMs = q.stepS * 1000;
  const first = Math.floor(q.from / stepMs) * stepMs;
  return { first, stepMs, n: Math.ceil((q.to - first) / stepMs) };
}

/** Throws STORE_BAD_INPUT unless `q` can be answered in columns. */
export function checkColumnarQuery(q: ColumnarQuery): void {
  checkSeriesQuery(q);
  const bad = (m: string) => new StoreError('STORE_BAD_INPUT', m);
  if (q.stepS === undefined) throw bad('history in columns is per step: give stepS');
  if (!Number.isSafeInteger(q.digits) || q.digits < 0 || q.digits > MAX_COLUMNAR_DIGITS) throw bad(`digits must be an integer from 0 to ${MAX_COLUMNAR_DIGITS}`);
  const cells = columnarAxis(q).n * new Set(q.assets).size;
  if (cells > MAX_COLUMNAR_CELLS) throw bad(`${cells} values (assets × buckets) in one answer; at most ${MAX_COLUMNAR_CELLS}`);
}

/**
 * Rounds to `digits` decimals as DuckDB's `round(v, digits)` does (`std::round(v * 10^d) / 10^d`: half away
 * from zero), so that both stores give the same text; `-0` becomes `0`.
 */
export function roundTo(v: number, digits: number): number {
  const m = 10 ** digits;
  const r = Math.round(Math.abs(v) * m) / m;
  return (v < 0 ? -r : r) + 0;
}

/**
 * History in columns from `series()`'s answer to the same query: the reference every store's
 * `seriesColumns()` equals, and the InfluxDB adapter's way of answering.
 */
export function columnsFromSeries(results: readonly SeriesResult[], q: ColumnarQuery): ColumnarResult {
  const { first, stepMs, n } = columnarAxis(q);
  return {
    ts: columnarTimes(q),
    series: results.map((r) => {
      const values = new Array<number | null>(n).fill(null);
      for (const [t, v] of r.points) values[(t - first) / stepMs] = roundTo(v, q.digits);
      return { asset: r.asset, values: JSON.stringify(values) };
    }),
  };
}

/** The start of every bucket of the axis. */
export function columnarTimes(q: Pick<ColumnarQuery, 'from' | 'to' | 'stepS'>): number[] {
  const { first, stepMs, n } = columnarAxis(q);
  const ts = new Array<number>(n);
  for (let i = 0; i < n; i++) ts[i] = first + i * stepMs;
  return ts;
}
