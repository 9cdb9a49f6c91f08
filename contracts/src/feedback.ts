import { z } from 'zod';
import { METRICS, type Kind } from './kinds.js';
import {
  DEFAULT_MAX_AGE_MS, DEFAULT_MAX_FUTURE_MS, DeadLetterReason, MAX_JSON_DEPTH, MAX_READINGS_PER_MESSAGE, READING_SCHEMAS,
} from './readings.js';

/**
 * Feedback to devices: what the hub refused of a message, published to the device on
 * `city/{kind}/{id}/errors` (inside the subtree it may subscribe to) right after the PUBACK.
 */

/** How a device should write `ts`. */
export const TS_HINT = 'ISO 8601 with an offset, e.g. 2026-12-05T08:30:00+02:00, or epoch milliseconds';

/** At most this many refusals are listed in one feedback message; the rest are counted in `omitted`. */
export const MAX_FEEDBACK_ERRORS = 50;

/** One refused reading (or the whole message, `index` null), as the device is told. */
export const RefusedReading = z.object({
  /** For a gateway's message: the child device the reading was for. */
  device: z.string().optional(),
  /** Its position in the array the device sent, or null for a single reading or the whole message. */
  index: z.number().int().nullable(),
  /** The reading's `seq`, when it could be read. */
  seq: z.number().optional(),
  reason: DeadLetterReason,
  /** The field at fault, or null when the message as a whole was refused. */
  field: z.string().nullable(),
  message: z.string(),
  /** What would have been valid. */
  hint: z.string(),
});
export type RefusedReading = z.infer<typeof RefusedReading>;

/** The payload of `city/{kind}/{id}/errors`: one message per refused publish. */
export const DeviceFeedback = z.object({
  /** The topic the refused payload was published to. */
  topic: z.string(),
  /** Hub time it was received, ISO 8601 UTC. */
  received: z.string(),
  /** Readings of the message accepted all the same. */
  accepted: z.number().int(),
  errors: z.array(RefusedReading),
  /** Refusals beyond `MAX_FEEDBACK_ERRORS`, not listed. */
  omitted: z.number().int(),
});
export type DeviceFeedback = z.infer<typeof DeviceFeedback>;

interface NumberBounds { minValue: number | null; maxValue: number | null; isInt: boolean | null }

/** "a number from 0 to 250", read from the reading schema itself. */
function rangeHint(kind: Kind, field: string): string | null {
  const shape = READING_SCHEMAS[kind].shape as Record<string, z.ZodType>;
  let s: z.ZodType | undefined = shape[field];
  if (s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
  if (!(s instanceof z.ZodNumber)) return null;
  const n = s as unknown as NumberBounds;
  const what = n.isInt ? 'an integer' : 'a number';
  return `${what} from ${n.minValue} to ${n.maxValue}`;
}

/** The fields of a reading of `kind`, the required ones first. */
export function readingFields(kind: Kind): string {
  const [first, ...rest] = METRICS[kind];
  return `ts, seq, ${first} (required)${rest.length ? `; optional: ${rest.join(', ')}` : ''}`;
}

/** What would have been valid, for a refusal of `reason` on `field` (null: the message as a whole) of a `kind` reading. */
export function refusalHint(kind: Kind | null, reason: DeadLetterReason, field: string | null, opts: { maxAgeMs?: number; maxFutureMs?: number } = {}): string {
  const fields = kind ? `fields of a ${kind} reading: ${readingFields(kind)}` : 'fields of the device kind';
  switch (reason) {
    case 'ts_future': return `${TS_HINT}, at most ${(opts.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS) / 1000} s ahead of the hub clock (check the device's clock and offset)`;
    case 'ts_too_old': return `${TS_HINT}, not older than ${Math.round((opts.maxAgeMs ?? DEFAULT_MAX_AGE_MS) / 86_400_000)} days`;
    case 'ts_out_of_range': return TS_HINT;
    case 'malformed_json': return `one JSON object, or an array of up to ${MAX_READINGS_PER_MESSAGE}, with the ${fields}`;
    case 'too_deep': return `a reading is a flat JSON object; JSON nested at most ${MAX_JSON_DEPTH} levels`;
    case 'too_many_readings': return `at most ${MAX_READINGS_PER_MESSAGE} readings in one message`;
    case 'counter_decrease': return `${field ?? 'a meter counter'} never decreases`;
    case 'unknown_device': return 'a device registered and enabled in the hub (cityhub devices list)';
    case 'wrong_kind': return 'the device\'s own topic city/{kind}/{id}/telemetry';
    case 'topic_denied': return 'city/{kind}/{id}/telemetry or status of the device itself';
    default: break;
  }
  if (field === 'ts') return TS_HINT;
  if (field === 'seq') return 'an integer from 0, one more for each reading';
  const range = kind && field ? rangeHint(kind, field) : null;
  if (range) return `${field}: ${range}`;
  return fields;
}
