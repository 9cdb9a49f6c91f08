import { COUNTER_METRICS, METRICS, type Agg, type AssetFeature, type ExportFormat, type Kind } from '@cityhub/contracts';
import { ApiError } from '../errors.js';

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
  /** Aggregate per metric: a meter counter keeps its last value where a mean or a sum would mean nothing. */
  aggs: readonly Agg[];
  agg: Agg;
  from: number;
  to: number;
  stepS: number;
  /** Assets × buckets: the most rows there can be. */
  maxRows: number;
}

export interface ExportRequest { kind: Kind; format: ExportFormat; from?: number | undefined; to?: number | undefined; stepS: number; agg: Agg }

/** Checks an export request against the limits and widens its range to whole, epoch-aligned buckets. */
export function planExport(q: ExportRequest, catalogue: readonly AssetFeature[], limits: ExportLimits, now: number): ExportPlan {
  if (q.stepS < limits.minStepS) throw new ApiError('BAD_REQUEST', `the step must be at least ${limits.minStepS} s`);
  const ms = q.stepS * 1000;
  const to = Math.ceil((q.to ?? now) / ms) * ms;
  const from = Math.floor((q.from ?? (q.to ?? now) - 86_400_000) / ms) * ms;
  if (from >= to) throw new ApiError('BAD_REQUEST', 'from must be before to');
  if (to - from > limits.maxRangeMs) throw new ApiError('BAD_REQUEST', `an export covers at most ${Math.round(limits.maxRangeMs / 86_400_000)} days`);
  const assets = catalogue.filter((f) => f.properties.kind === q.kind);
  const rows = assets.length * ((to - from) / ms);
  if (rows > limits.maxRows) {
    throw new ApiError('BAD_REQUEST', `${assets.length} assets × ${(to - from) / ms} buckets is more than ${limits.maxRows} rows; use a larger step or a shorter range`);
  }
  const metrics = METRICS[q.kind];
  const aggs = metrics.map((m) => (COUNTER_METRICS.has(m) && (q.agg === 'mean' || q.agg === 'sum') ? 'last' : q.agg));
  return { kind: q.kind, format: q.format, assets, metrics, aggs, agg: q.agg, from, to, stepS: q.stepS, maxRows: rows };
}

/** A file name that says what the export holds: `cityhub-traffic-20260101T0000Z-20260131T0000Z-15m-mean.csv`. */
export function exportFileName(p: ExportPlan): string {
  const t = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\d\d\.\d{3}Z$/, 'Z');
  const step = p.stepS % 86_400 === 0 ? `${p.stepS / 86_400}d` : p.stepS % 3600 === 0 ? `${p.stepS / 3600}h` : p.stepS % 60 === 0 ? `${p.stepS / 60}m` : `${p.stepS}s`;
  const ext = { csv: 'csv', geojson: 'geojson', parquet: 'parquet' }[p.format];
  return `cityhub-${p.kind}-${t(p.from)}-${t(p.to)}-${step}-${p.agg}.${ext}`;
}
