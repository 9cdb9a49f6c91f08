import { z } from 'zod';
import { LineStringGeometry, PointGeometry } from './assets.js';
import { DeviceKind, Kind, MetricName } from './kinds.js';
import { DeadLetterReason, StoredReading } from './readings.js';
import { AlertEvent, Severity } from './rules.js';

/**
 * A time in an answer: ISO 8601 in UTC as `Date.prototype.toISOString` writes it. Documented as JSON Schema's
 * `date-time` (RFC 3339) for generators; not checked again on the way out (the hub writes every one itself).
 */
export const DateTime = z.string().meta({ format: 'date-time' });

/** Errors of the HTTP API: `{ "error": { "code", "message" } }`. */
export const ApiError = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
export type ApiError = z.infer<typeof ApiError>;

/** Aggregates over a step. `last` is the one a meter counter keeps. */
export const Agg = z.enum(['mean', 'min', 'max', 'sum', 'count', 'last']);
export type Agg = z.infer<typeof Agg>;
/**
 * Aggregates a client may ask for: the store's, and `delta`, the energy used per bucket from a meter counter
 * (computed by the API from the counter's per-bucket last and max; see README "Energy used").
 */
export const SeriesAgg = z.enum([...Agg.options, 'delta']);
export type SeriesAgg = z.infer<typeof SeriesAgg>;
/** A bucket of local calendar days: its start (ISO 8601, UTC) and its length in hours (23 or 25 on a DST change day). */
export const LocalBucket = z.object({ start: z.string(), hours: z.number() });
export type LocalBucket = z.infer<typeof LocalBucket>;

/** The latest reading of one asset. Times are ISO 8601 (UTC). */
export const LatestItem = z.object({
  asset: z.string(),
  kind: Kind,
  device: z.string(),
  ts: DateTime,
  values: z.record(z.string(), z.number()),
});
export type LatestItem = z.infer<typeof LatestItem>;
export const LatestResponse = z.object({ kind: Kind, items: z.array(LatestItem) });
export type LatestResponse = z.infer<typeof LatestResponse>;

/** History of one metric for one or more assets: `points` are `[ts, value]`, ts ISO 8601, ascending. */
export const SeriesResponse = z.object({
  metric: MetricName,
  agg: SeriesAgg.nullable(),
  step_s: z.number().nullable(),
  from: DateTime,
  to: DateTime,
  // Optional in the schema so that answers of older hubs still parse; this hub always sends them.
  tz: z.string().optional().describe('The IANA time zone of date-only times and of day buckets (the `tz` asked for, else the city\'s).'),
  buckets: z.array(LocalBucket).nullable().optional()
    .describe('With a step of whole days: each bucket (local calendar days) with its length in hours; null for shorter steps.'),
  note: z.string().nullable().optional().describe('Days in the range that are not 24 hours long (daylight saving changes), in words; else null.'),
  series: z.array(z.object({ asset: z.string(), points: z.array(z.tuple([DateTime, z.number()])) })),
});
export type SeriesResponse = z.infer<typeof SeriesResponse>;

/** The media type of history in columns (`Accept` it, or ask `format=columnar`). */
export const COLUMNAR_MEDIA_TYPE = 'application/vnd.cityhub.columnar+json';

/**
 * History of one metric in columns, for charts and whole-city views: the bucket times once, then one value
 * array per asset aligned with them, `null` where an asset has no reading in a bucket, values rounded to the
 * metric's precision (`METRIC_PRECISION`).
 */
export const SeriesColumnar = z.object({
  metric: MetricName,
  agg: SeriesAgg,
  step_s: z.number(),
  from: DateTime.describe('Start of the first bucket, ISO 8601 (UTC).'),
  to: DateTime.describe('End of the last bucket (exclusive), ISO 8601 (UTC).'),
  tz: z.string().describe('The time zone of local-day buckets (IANA name); shorter steps are epoch-aligned (UTC).'),
  digits: z.int().min(0).describe('Decimal digits every value is rounded to: the metric\'s precision.'),
  ts_ms: z.array(z.int()).describe('The start of every bucket in [from, to), epoch milliseconds, ascending: the time of the values at the same index.'),
  series: z.array(z.object({
    asset: z.string(),
    values: z.array(z.number().nullable()).describe('One value per bucket of `ts_ms`; null where the asset has no reading.'),
  })),
});
export type SeriesColumnar = z.infer<typeof SeriesColumnar>;

/** A message on `/api/v1/live`. */
export const LiveReading = z.object({
  type: z.literal('reading'),
  kind: Kind,
  asset: z.string(),
  device: z.string(),
  ts: DateTime,
  values: z.record(z.string(), z.number()),
});
export const LiveHello = z.object({ type: z.literal('hello'), kinds: z.array(Kind), assets: z.array(z.string()).nullable() });
/** The readings that became durable during one tick of the live feed (the hub sends these, not single `reading`s). */
export const LiveReadings = z.object({ type: z.literal('readings'), readings: z.array(LiveReading) });
/** An alert event as `/api/v1/live` sends it: `at` is ISO 8601, like every time on the live feed. */
export const LiveAlertEvent = AlertEvent.extend({ at: DateTime });
export type LiveAlertEvent = z.infer<typeof LiveAlertEvent>;
/** An alert opened, acknowledged or cleared, on `/api/v1/live` for clients that asked for alerts. */
export const LiveAlert = z.object({ type: z.literal('alert'), event: LiveAlertEvent });
export const LiveMessage = z.discriminatedUnion('type', [LiveReading, LiveReadings, LiveHello, LiveAlert]);
export type LiveReading = z.infer<typeof LiveReading>;
export type LiveMessage = z.infer<typeof LiveMessage>;

/** A device as the API shows it: registry record (never its secret) with its live accounting. */
export const DeviceView = z.object({
  id: z.string(),
  kind: DeviceKind,
  asset: z.string(),
  /** The gateway that speaks for the device, if any. */
  gateway: z.string().optional(),
  enabled: z.boolean(),
  created_at: DateTime,
  simulated: z.boolean(),
  /** From the retained status and the last will; `unknown` before the hub heard either. */
  status: z.enum(['online', 'offline', 'unknown']),
  last_seen: DateTime.nullable(),
  last_reading_ts: DateTime.nullable(),
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
  received: DateTime,
  device: z.string().nullable(),
  topic: z.string(),
  reason: DeadLetterReason,
  message: z.string(),
  payload: z.string().describe('The payload as received: its first 8 KiB (whole when shorter; see truncated).'),
  size: z.number().int().describe('Bytes of the whole payload as received.'),
  sha256: z.string().nullable().describe('SHA-256 of the whole payload as received, hex (null for letters stored before it was kept).'),
  truncated: z.boolean().describe('True when payload holds only the first 8 KiB of what was received.'),
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

/** `GET /api/v1/devices`. */
export const DeviceList = z.object({ items: z.array(DeviceView) });
export type DeviceList = z.infer<typeof DeviceList>;
/** `GET /api/v1/deadletters`. */
export const DeadLetterList = z.object({ items: z.array(DeadLetterView) });
export type DeadLetterList = z.infer<typeof DeadLetterList>;
/** `POST /api/v1/deadletters/replay`: what was examined, re-ingested, rejected again or cannot be replayed. */
export const ReplayResult = z.object({
  examined: z.number().int(),
  replayed: z.number().int(),
  still_rejected: z.array(z.object({ id: z.string(), reason: DeadLetterReason, message: z.string() })),
  not_replayable: z.number().int(),
});
export type ReplayResult = z.infer<typeof ReplayResult>;

/** `GET /healthz`: the process answers. */
export const Health = z.object({ status: z.literal('ok') });
/** One part the API depends on (broker, store, spool…). */
export const ReadyCheck = z.object({ ok: z.boolean(), detail: z.string().nullish() });
export type ReadyCheck = z.infer<typeof ReadyCheck>;
/** `GET /readyz`: 200 when every check is ok, 503 otherwise, with every check and its detail. */
export const Readiness = z.object({ status: z.enum(['ready', 'not ready']), checks: z.record(z.string(), ReadyCheck) });
export type Readiness = z.infer<typeof Readiness>;

/** Open-data export formats of `GET /api/v1/export`. */
export const ExportFormat = z.enum(['csv', 'geojson', 'parquet']);
export type ExportFormat = z.infer<typeof ExportFormat>;
/** The licence an export is published under. */
export const ExportLicence = z.object({ name: z.string(), url: z.string() });
export type ExportLicence = z.infer<typeof ExportLicence>;
/** One bucket of one asset: its start (ISO 8601, UTC) and every metric of the kind (null where none). */
export const ExportBucket = z.object({ ts: DateTime }).catchall(z.number().nullable());
export type ExportBucket = z.infer<typeof ExportBucket>;
/**
 * One asset in a GeoJSON export: its catalogue geometry once, its attributes, and its buckets in time order.
 * `asset_simulated`: the asset or some of its attributes are simulated, or it is a synthetic copy;
 * `readings_simulated`: every device now registered on the asset is simulated (null: none is registered).
 */
export const ExportFeature = z.object({
  type: z.literal('Feature'),
  id: z.string(),
  geometry: z.union([LineStringGeometry, PointGeometry]),
  properties: z.looseObject({
    asset: z.string(),
    name: z.string(),
    asset_simulated: z.boolean(),
    readings_simulated: z.boolean().nullable(),
    buckets: z.array(ExportBucket),
  }),
});
export type ExportFeature = z.infer<typeof ExportFeature>;
/** A GeoJSON export (RFC 7946): one Feature per asset of the kind, with licence and attribution as foreign members. */
export const ExportCollection = z.object({
  type: z.literal('FeatureCollection'),
  kind: Kind,
  from: DateTime,
  to: DateTime,
  step_s: z.number().int(),
  agg: SeriesAgg,
  tz: z.string().optional().describe('The IANA time zone of the day buckets and date-only times.'),
  metrics: z.array(MetricName),
  licence: ExportLicence,
  attribution: z.string(),
  features: z.array(ExportFeature),
});
export type ExportCollection = z.infer<typeof ExportCollection>;

/**
 * One of the city's KPIs as `GET /api/v1/kpis` gives it: its value over the period, its target (met at or
 * below it, or at or above it), and the comparison period (`previous`, `change` relative to it, and what it is).
 */
export const Kpi = z.object({
  id: z.string(), name: z.string(), unit: z.string(), value: z.number().nullable(), target: z.number(),
  /** Met when the value is at or below (`below`) or at or above (`above`) the target. */
  direction: z.enum(['below', 'above']),
  met: z.boolean().nullable(), previous: z.number().nullable(), change: z.number().nullable(),
  /** What `previous` is: the period before, or the same period a year earlier (or the first recorded). */
  compared_with: z.string(),
});
export type Kpi = z.infer<typeof Kpi>;
/** `GET /api/v1/kpis`: the KPIs over [from, to) (ISO 8601, whole hours). */
export const KpiList = z.object({ from: DateTime, to: DateTime, tz: z.string().optional().describe('The IANA time zone date-only times were read in.'), items: z.array(Kpi) });
export type KpiList = z.infer<typeof KpiList>;

/**
 * An alert as `GET /api/v1/alerts` shows it: its events (opened, acknowledged, cleared) folded into one
 * record. Times are ISO 8601; `opened_at` and `cleared_at` are the device times of the readings that opened
 * and cleared it.
 */
export const AlertView = z.object({
  id: z.string(), rule: z.string(), kind: Kind, asset: z.string(), severity: Severity,
  status: z.enum(['open', 'acknowledged', 'cleared']),
  opened_at: DateTime, acknowledged_at: DateTime.nullable(), acknowledged_by: z.string().nullable(), cleared_at: DateTime.nullable(),
  /** The comment the acknowledger gave, if any. */
  acknowledged_comment: z.string().nullable().optional(),
  message: z.string(), value: z.number().nullable(),
});
export type AlertView = z.infer<typeof AlertView>;

/** The comment of an acknowledgement event, from its message `acknowledged by {by}: {comment}`; null without one. */
export function ackCommentOf(message: string, by: string | null): string | null {
  const prefix = `acknowledged by ${by ?? ''}: `;
  return by !== null && message.startsWith(prefix) ? message.slice(prefix.length) : null;
}
/** `GET /api/v1/alerts`. */
export const AlertList = z.object({ items: z.array(AlertView) });
export type AlertList = z.infer<typeof AlertList>;

/** `GET /api/v1/config`: what the dashboard needs to know of this hub. */
export const PageConfig = z.object({
  /** A MapLibre style URL the city is drawn over (`CITYHUB_BASEMAP_STYLE`); null: the offline map. */
  basemapStyle: z.string().nullable(),
  /** Raw retention in days (`CITYHUB_RETENTION_RAW_DAYS`): how far back the dashboard's time bar reaches. */
  retentionDays: z.number(),
  /** The city's IANA time zone (`CITYHUB_TZ`): every local time the dashboard shows is in it. */
  tz: z.string(),
  /**
   * OpenID Connect sign-in, when the hub offers it: the provider's name (`CITYHUB_OIDC_NAME`), where sign-in
   * starts, and where to go after signing out to sign out at the provider too.
   */
  oidc: z.object({ name: z.string(), login: z.string(), logout: z.string() }).optional(),
});
export type PageConfig = z.infer<typeof PageConfig>;

/** One validated reading as the hub relays it on `cityhub/live/{kind}` (a JSON array of these per message): the stored reading. */
export const RelayedReading = StoredReading;
export type RelayedReading = StoredReading;
export const RelayedReadings = z.array(RelayedReading);
