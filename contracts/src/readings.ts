import { z } from 'zod';
import { Kind, METRICS, type MetricName } from './kinds.js';
import { compileReadingCheck } from './reading-check.js';

/** Epoch milliseconds before this are almost surely epoch seconds sent by mistake. */
export const MIN_EPOCH_MS = Date.UTC(2000, 0, 1);
/** The largest time a JavaScript `Date` holds (ECMA-262 §21.4.1.22, TimeClip): beyond it `new Date(ts)` is invalid. */
export const MAX_EPOCH_MS = 8.64e15;
/**
 * How deeply a telemetry payload's JSON may nest. A reading is an object, a message at most an array of them
 * (depth 2); anything deeper is refused as `too_deep` before it is parsed, so that no recursive step (zod,
 * `JSON.stringify`) can overflow the stack on a payload nested thousands deep.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * Device time: ISO 8601 with an offset, or epoch milliseconds. Parsed to epoch milliseconds. Epoch milliseconds
 * come first: most devices send them, and a union that fails its first option builds that option's issues for
 * every reading (the message of a `ts` that is neither is the same either way).
 */
export const Timestamp = z.union([
  z.number().int().refine((n) => n >= MIN_EPOCH_MS, {
    message: 'ts must be epoch milliseconds (this looks like seconds, or a date before 2000)',
  }).refine((n) => n <= MAX_EPOCH_MS, { message: `ts must be at most ${MAX_EPOCH_MS} (the largest time a date holds)`, params: { tsRange: true } })
    // The refinements do not reach JSON Schema: their bounds are stated for the AsyncAPI document.
    .meta({ minimum: MIN_EPOCH_MS, maximum: MAX_EPOCH_MS, description: 'Epoch milliseconds (not seconds), from 2000-01-01.' }),
  z.iso.datetime({ offset: true, error: (iss) => tsMessage(iss.input) }).transform((s) => Date.parse(s)),
], { error: (iss) => tsMessage(iss.input) });

/** Why a `ts` is not a valid time: most often a local time without its offset. */
function tsMessage(input: unknown): string {
  if (input === undefined) return 'required';
  if (typeof input !== 'string') return `a string or a number, not ${input === null ? 'null' : typeof input}`;
  const s = input;
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(s)) return `"${s.slice(0, 40)}" has no UTC offset: add Z or +hh:mm, e.g. ${s.slice(0, 19)}+02:00`;
  return `"${s.slice(0, 40)}" is not ISO 8601 with an offset (e.g. 2026-12-05T08:30:00+02:00)`;
}

const base = {
  ts: Timestamp,
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
};
const nonNeg = (max: number) => z.number().min(0).max(max);

/** One traffic sensor reading on a road link. */
export const TrafficReading = z.strictObject({
  ...base,
  speed_kmh: nonNeg(250),
  travel_time_s: nonNeg(86_400).optional(),
  flow_veh_h: nonNeg(20_000).optional(),
  occupancy_pct: nonNeg(100).optional(),
});
/** One public Wi-Fi hotspot reading. */
export const WifiReading = z.strictObject({
  ...base,
  clients: z.number().int().min(0).max(100_000),
  rx_kbps: nonNeg(100_000_000).optional(),
  tx_kbps: nonNeg(100_000_000).optional(),
});
/** One building energy meter reading; `energy_kwh` is a counter that never decreases. */
export const EnergyReading = z.strictObject({
  ...base,
  power_kw: z.number().min(-100_000).max(100_000),
  energy_kwh: nonNeg(1e12).optional(),
});
export type TrafficReading = z.infer<typeof TrafficReading>;
export type WifiReading = z.infer<typeof WifiReading>;
export type EnergyReading = z.infer<typeof EnergyReading>;

export const READING_SCHEMAS = { traffic: TrafficReading, wifi: WifiReading, energy: EnergyReading } as const;

/** The same schemas as plain checks for the common reading (see `compileReadingCheck`); zod judges the rest. */
const READING_CHECKS = Object.fromEntries(Kind.options.map((k) => [k, compileReadingCheck(READING_SCHEMAS[k], METRICS[k], { min: MIN_EPOCH_MS, max: MAX_EPOCH_MS })])) as
  Record<Kind, ReturnType<typeof compileReadingCheck>>;

/**
 * Decimal digits that carry meaning in each metric, and to which history answers in columns round their
 * values (aggregates included: a mean of Wi-Fi clients keeps one decimal). Past these, the digits of a mean
 * are noise that only lengthens the answer.
 */
export const METRIC_PRECISION = {
  speed_kmh: 1, travel_time_s: 1, flow_veh_h: 0, occupancy_pct: 1,
  clients: 1, rx_kbps: 0, tx_kbps: 0,
  power_kw: 2, energy_kwh: 2,
} as const satisfies Record<MetricName, number>;

/** A device that buffered while offline sends an array; its length is bounded. */
export const MAX_READINGS_PER_MESSAGE = 5_000;
/** A telemetry message: one reading or an array of readings. */
export const telemetrySchema = (kind: Kind) =>
  z.union([READING_SCHEMAS[kind], z.array(READING_SCHEMAS[kind]).min(1).max(MAX_READINGS_PER_MESSAGE)]);

/** Why a reading was rejected. Every rejected reading lands in the dead letters with one of these. */
export const RejectReason = z.enum([
  'malformed_json', // the payload is not JSON
  'schema', // a field is missing, unknown or of the wrong type
  'out_of_range', // a value outside its plausible range
  'ts_future', // more than the allowed skew ahead of the hub's clock
  'ts_too_old', // older than the raw retention
  'counter_decrease', // a meter counter went down
  'too_many_readings', // an array longer than MAX_READINGS_PER_MESSAGE
  'too_deep', // JSON nested deeper than MAX_JSON_DEPTH
  'ts_out_of_range', // ts beyond the largest time a date holds (MAX_EPOCH_MS)
  'unknown_device', // no such device in the registry (or disabled)
  'wrong_kind', // the topic's kind is not the device's kind
  'not_a_child', // a gateway named a device that is not registered under it: the whole message is refused
]);
export type RejectReason = z.infer<typeof RejectReason>;

/** Why a dead letter was kept: a rejected reading's reason, or a publish refused on its topic (`topic_denied`). */
export const DeadLetterReason = z.enum([...RejectReason.options, 'topic_denied']);
export type DeadLetterReason = z.infer<typeof DeadLetterReason>;

/**
 * One reading as the hub stores it and relays it on `cityhub/live/{kind}`: bound to its asset and device,
 * device time in integer epoch ms, only the metrics the reading carried (at least one), each a finite number
 * (zod's number refuses NaN and ±Infinity, which would poison every aggregate over them). Its key is
 * (kind, asset, device, ts): writing the same key again overwrites it, so a re-delivered reading is stored once.
 *
 * `values` is an object with a catch-all rather than a record: the store checks every write batch with this
 * schema, and zod parses a catch-all object about three times faster than a record.
 */
export const StoredReading = z.object({
  kind: Kind,
  asset: z.string().min(1),
  device: z.string().min(1),
  ts: z.int().describe('Device time, epoch milliseconds.'),
  seq: z.int(),
  values: z.object({}).catchall(z.number())
    .refine((v) => !Object.hasOwn(v, ''), 'empty metric name')
    .refine(hasMetric, 'a reading without values cannot be stored'),
});
export type StoredReading = z.infer<typeof StoredReading>;

function hasMetric(values: object): boolean {
  for (const _ in values) return true;
  return false;
}

/** A reading that passed validation, normalised: time in epoch ms, metrics as numbers. */
export interface ValidReading { ts: number; seq: number; values: Record<string, number> }
/** One rejected element of a telemetry message (`index` is its position in an array, or null). */
export interface Rejection {
  index: number | null; reason: RejectReason; message: string; raw: unknown;
  /** The field at fault (an unknown field's name, a metric out of range, `ts`), or null for the whole message. */
  field?: string | null;
}

export interface ValidateOptions {
  /** The hub's clock, epoch ms. */
  now: number;
  /** When the reading was received (epoch ms; default `now`): `ts_future` is judged against it, so a replay does not import a reading whose time has come since. */
  receivedAt?: number;
  /** How far ahead of `now` a device clock may be. */
  maxFutureMs?: number;
  /** How old a reading may be (the raw retention). */
  maxAgeMs?: number;
}
export const DEFAULT_MAX_FUTURE_MS = 5 * 60_000;
export const DEFAULT_MAX_AGE_MS = 30 * 86_400_000;

function classify(issues: readonly z.core.$ZodIssue[]): { reason: RejectReason; message: string; field: string | null } {
  const message = issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
  const range = issues.every((i) => (i.code === 'too_big' || i.code === 'too_small') && i.path[0] !== 'ts');
  const tsRange = issues.some((i) => i.code === 'custom' && i.path[0] === 'ts' && (i.params as { tsRange?: boolean } | undefined)?.tsRange);
  return { reason: tsRange ? 'ts_out_of_range' : range ? 'out_of_range' : 'schema', message, field: faultyField(issues) };
}

/** The field to name first: an unknown one (most often a misspelt metric), else the first at fault. */
function faultyField(issues: readonly z.core.$ZodIssue[]): string | null {
  const unknown = issues.find((i) => i.code === 'unrecognized_keys');
  if (unknown) return unknown.keys[0] ?? null;
  const first = issues[0]?.path[0];
  return first === undefined ? null : String(first);
}

/** Validates one reading object of `kind`, including the clock checks. */
export function validateReading(kind: Kind, raw: unknown, opts: ValidateOptions, index: number | null = null):
  { ok: true; reading: ValidReading } | { ok: false; rejection: Rejection } {
  let reading: ValidReading | undefined = READING_CHECKS[kind](raw);
  if (!reading) {
    const parsed = READING_SCHEMAS[kind].safeParse(raw);
    if (!parsed.success) return { ok: false, rejection: { index, raw, ...classify(parsed.error.issues) } };
    const { ts, seq, ...rest } = parsed.data as { ts: number; seq: number } & Record<string, number | undefined>;
    const values: Record<string, number> = {};
    for (const m of METRICS[kind]) {
      const v = rest[m];
      if (v !== undefined) values[m] = v;
    }
    reading = { ts, seq, values };
  }
  const { ts } = reading;
  const maxFuture = opts.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS;
  const maxAge = opts.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
  if (ts > (opts.receivedAt ?? opts.now) + maxFuture) {
    return { ok: false, rejection: { index, raw, field: 'ts', reason: 'ts_future', message: `ts ${new Date(ts).toISOString()} is more than ${maxFuture / 1000} s ahead of the hub clock when received` } };
  }
  if (ts < opts.now - maxAge) {
    return { ok: false, rejection: { index, raw, field: 'ts', reason: 'ts_too_old', message: `ts ${new Date(ts).toISOString()} is older than the raw retention (${Math.round(maxAge / 86_400_000)} days)` } };
  }
  return { ok: true, reading };
}

/**
 * How deeply `text` nests JSON arrays and objects, counting until `limit` is passed (then `limit + 1`).
 * A linear scan that skips strings; it does not check that `text` is JSON.
 */
export function jsonDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max && (max = depth) > limit) return max;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/** Depth of an already-parsed value, iteratively (no recursion to overflow), counting until `limit` is passed. */
function valueDepth(v: unknown, limit = MAX_JSON_DEPTH): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[v, 1]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (x === null || typeof x !== 'object') continue;
    if (d > max && (max = d) > limit) return max;
    for (const child of Object.values(x)) stack.push([child, d + 1]);
  }
  return max;
}

type Parsed = { ok: true; data: unknown; raw: unknown } | { ok: false; rejection: Rejection };

/** One decoder for every payload: `decode` without `stream` keeps no state between calls. */
const UTF8 = new TextDecoder();

/** Parses bytes or text as JSON after the depth check; passes parsed values through the same check. */
function parsePayload(payload: unknown): Parsed {
  if (typeof payload !== 'string' && !(payload instanceof Uint8Array)) {
    return valueDepth(payload) > MAX_JSON_DEPTH ? { ok: false, rejection: tooDeep(null) } : { ok: true, data: payload, raw: payload };
  }
  const text = typeof payload === 'string' ? payload : UTF8.decode(payload);
  if (jsonDepth(text) > MAX_JSON_DEPTH) return { ok: false, rejection: tooDeep(text) };
  try {
    return { ok: true, data: JSON.parse(text), raw: text };
  } catch (e) {
    return { ok: false, rejection: { index: null, reason: 'malformed_json', message: `payload is not JSON: ${(e as Error).message}`, raw: text } };
  }
}
const tooDeep = (raw: unknown): Rejection => ({ index: null, reason: 'too_deep', message: `JSON nested deeper than ${MAX_JSON_DEPTH} levels`, raw });

/**
 * Validates a telemetry payload (bytes or already-parsed JSON) of `kind`: one reading or an array.
 * Good readings are kept even when others in the same array are rejected. A rejection of the whole
 * message (`index` null) carries the payload as given (its text, when given bytes or text), so that a dead
 * letter keeps what the device sent (`1e309` stays `1e309`, not the `null` that re-serialising gives).
 */
export function validateTelemetry(kind: Kind, payload: unknown, opts: ValidateOptions):
  { accepted: ValidReading[]; rejected: Rejection[] } {
  const parsed = parsePayload(payload);
  if (!parsed.ok) return { accepted: [], rejected: [parsed.rejection] };
  const { data, raw } = parsed;
  const whole = (reason: RejectReason, message: string) => ({ accepted: [], rejected: [{ index: null, reason, message, raw }] });
  const accepted: ValidReading[] = [];
  const rejected: Rejection[] = [];
  if (Array.isArray(data)) {
    if (data.length === 0) return whole('schema', 'an empty array holds no reading');
    if (data.length > MAX_READINGS_PER_MESSAGE) {
      return whole('too_many_readings', `${data.length} readings in one message; at most ${MAX_READINGS_PER_MESSAGE}`);
    }
    data.forEach((item, i) => {
      const r = validateReading(kind, item, opts, i);
      if (r.ok) accepted.push(r.reading);
      else rejected.push(r.rejection);
    });
  } else {
    const r = validateReading(kind, data, opts, null);
    if (r.ok) accepted.push(r.reading);
    else rejected.push({ ...r.rejection, raw });
  }
  return { accepted, rejected };
}
