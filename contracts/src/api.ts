import { z } from 'zod';
import { Kind, MetricName } from './kinds.js';

/** Errors of the HTTP API: `{ "error": { "code", "message" } }`. */
export const ApiError = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
export type ApiError = z.infer<typeof ApiError>;

/** Aggregates over a step. `last` is the one a meter counter keeps. */
export const Agg = z.enum(['mean', 'min', 'max', 'sum', 'count', 'last']);
export type Agg = z.infer<typeof Agg>;

/** The latest reading of one asset. Times are ISO 8601 (UTC). */
export const LatestItem = z.object({
  asset: z.string(),
  kind: Kind,
  device: z.string(),
  ts: z.string(),
  values: z.record(z.string(), z.number()),
});
export type LatestItem = z.infer<typeof LatestItem>;
export const LatestResponse = z.object({ kind: Kind, items: z.array(LatestItem) });
export type LatestResponse = z.infer<typeof LatestResponse>;

/** History of one metric for one or more assets: `points` are `[ts, value]`, ts ISO 8601, ascending. */
export const SeriesResponse = z.object({
  metric: MetricName,
  agg: Agg.nullable(),
  step_s: z.number().nullable(),
  from: z.string(),
  to: z.string(),
  series: z.array(z.object({ asset: z.string(), points: z.array(z.tuple([z.string(), z.number()])) })),
});
export type SeriesResponse = z.infer<typeof SeriesResponse>;

/** A message on `/api/v1/live`. */
export const LiveReading = z.object({
  type: z.literal('reading'),
  kind: Kind,
  asset: z.string(),
  device: z.string(),
  ts: z.string(),
  values: z.record(z.string(), z.number()),
});
export const LiveHello = z.object({ type: z.literal('hello'), kinds: z.array(Kind), assets: z.array(z.string()).nullable() });
export const LiveMessage = z.discriminatedUnion('type', [LiveReading, LiveHello]);
export type LiveReading = z.infer<typeof LiveReading>;
export type LiveMessage = z.infer<typeof LiveMessage>;

/** A device as the API shows it: registry record (never its secret) with its live accounting. */
export const DeviceView = z.object({
  id: z.string(),
  kind: Kind,
  asset: z.string(),
  enabled: z.boolean(),
  created_at: z.string(),
  simulated: z.boolean(),
  /** From the retained status and the last will; `unknown` before the hub heard either. */
  status: z.enum(['online', 'offline', 'unknown']),
  last_seen: z.string().nullable(),
  last_reading_ts: z.string().nullable(),
  readings: z.number(),
  /** Sequence numbers skipped: readings lost before they reached the hub. */
  gaps: z.number(),
  /** Readings whose seq was not above the highest seen (re-deliveries, late flushes). */
  repeats: z.number(),
  rejected: z.record(z.string(), z.number()),
});
export type DeviceView = z.infer<typeof DeviceView>;

/** A dead letter as the API shows it. */
export const DeadLetterView = z.object({
  id: z.string(),
  received: z.string(),
  device: z.string().nullable(),
  topic: z.string(),
  reason: z.string(),
  message: z.string(),
  payload: z.string(),
});
export type DeadLetterView = z.infer<typeof DeadLetterView>;

/** Parses a time query parameter: ISO 8601 or epoch milliseconds. */
export function parseTime(v: string): number | null {
  if (/^\d{10,}$/.test(v)) return Number(v);
  const t = Date.parse(v);
  return Number.isFinite(t) && /^\d{4}-\d{2}-\d{2}/.test(v) ? t : null;
}
/** Parses a step: `30s`, `1m`, `15m`, `1h`, `1d` or plain seconds. Returns seconds. */
export function parseStep(v: string): number | null {
  const m = /^(\d+)(s|m|h|d)?$/.exec(v);
  if (!m) return null;
  const n = Number(m[1]);
  const mult = { s: 1, m: 60, h: 3600, d: 86_400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
  return n > 0 ? n * mult : null;
}
