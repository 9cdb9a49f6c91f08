import { COUNTER_METRICS, METRICS, type AssetFeature, type CityClock, type ExportFormat, type Kind, type SeriesAgg } from '@cityhub/contracts';
import { ApiError } from '../errors.js';
import { bucketing, type Bucketing } from '../series/buckets.js';

/** Bounds of one export (documented in the README and the OpenAPI description). */
export interface ExportLimits {
  /** Assets × buckets of the whole range, counted before any reading: the request's work is bounded. */
  maxRows: number;
  maxRangeMs: number;
  /** The finest step: the 1-minute rollup. */
  minStepS: number;
  /** Exports running at once on this node; more get 503 with `retry-after`. */
  maxConcurrent: number;
  /** Points read from the store per query (assets × buckets): the memory of one export. */
  chunkPoints: number;
}
export const EXPORT_LIMITS: Readonly<ExportLimits> = {
  maxRows: 5_000_000,
  maxRangeMs: 366 * 86_400_000,
  minStepS: 60,
  maxConcurrent: 4,
  chunkPoints: 50_000,
};
export const DEFAULT_EXPORT_STEP_S = 900;

/** What an export reads and writes, settled before the first byte. */
export interface ExportPlan {
  kind: Kind;
  format: ExportFormat;
  assets: AssetFeature[];
  metrics: readonly string[];
  /**
   * Aggregate per metric: a meter counter keeps its last value where a mean or a sum would mean nothing;
   * with `delta`, counters give the energy used per bucket and every other metric its mean.
   */
  aggs: readonly SeriesAgg[];
  agg: SeriesAgg;
  from: number;
  to: number;
  stepS: number;
  /** The buckets: local calendar days of `tz` for whole-day steps, else epoch-aligned steps. */
  buckets: Bucketing;
  tz: string;
  /** Assets × buckets: the most rows there can be. */
  maxRows: number;
}

export interface ExportRequest { kind: Kind; format: ExportFormat; from?: number | undefined; to?: number | undefined; stepS: number; agg: SeriesAgg; clock: CityClock }

/** The aggregate of one metric in an export asked with `agg`. */
function aggOf(metric: string, agg: SeriesAgg): SeriesAgg {
  const counter = COUNTER_METRICS.has(metric);
  if (agg === 'delta') return counter ? 'delta' : 'mean';
  return counter && (agg === 'mean' || agg === 'sum') ? 'last' : agg;
}

/** Checks an export request against the limits and widens its range to whole buckets (local days, or epoch-aligned steps). */
export function planExport(q: ExportRequest, catalogue: readonly AssetFeature[], limits: ExportLimits, now: number): ExportPlan {
  if (q.stepS < limits.minStepS) throw new ApiError('BAD_REQUEST', `the step must be at least ${limits.minStepS} s`);
  const to0 = q.to ?? now;
  const from0 = q.from ?? to0 - 86_400_000;
  if (from0 >= to0) throw new ApiError('BAD_REQUEST', 'from must be before to');
  // Checked before the buckets are laid out, with a day of slack for the widening.
  if (to0 - from0 > limits.maxRangeMs) throw new ApiError('BAD_REQUEST', `an export covers at most ${Math.round(limits.maxRangeMs / 86_400_000)} days`);
  const buckets = bucketing(from0, to0, q.stepS, q.clock);
  const from = buckets.edge(0);
  const to = buckets.edge(buckets.count);
  const assets = catalogue.filter((f) => f.properties.kind === q.kind);
  const rows = assets.length * buckets.count;
  if (rows > limits.maxRows) {
    throw new ApiError('BAD_REQUEST', `${assets.length} assets × ${buckets.count} buckets is more than ${limits.maxRows} rows; use a larger step or a shorter range`);
  }
  const metrics = METRICS[q.kind];
  const aggs = metrics.map((m) => aggOf(m, q.agg));
  return { kind: q.kind, format: q.format, assets, metrics, aggs, agg: q.agg, from, to, stepS: q.stepS, buckets, tz: q.clock.zone, maxRows: rows };
}

/** A file name that says what the export holds: `cityhub-traffic-20260101T0000Z-20260131T0000Z-15m-mean.csv`. */
export function exportFileName(p: ExportPlan): string {
  const t = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\d\d\.\d{3}Z$/, 'Z');
  const step = p.stepS % 86_400 === 0 ? `${p.stepS / 86_400}d` : p.stepS % 3600 === 0 ? `${p.stepS / 3600}h` : p.stepS % 60 === 0 ? `${p.stepS / 60}m` : `${p.stepS}s`;
  const ext = { csv: 'csv', geojson: 'geojson', parquet: 'parquet' }[p.format];
  return `cityhub-${p.kind}-${t(p.from)}-${t(p.to)}-${step}-${p.agg}.${ext}`;
}
