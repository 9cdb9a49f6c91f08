import { StoreError } from '../errors.js';
import type { Point } from '../types.js';
import { assetTag, DEVICE_TAG, rawMeasurement } from './schema.js';

/**
 * Line protocol, written by hand: the store writes plain strings through `/write` or the client's
 * WriteApi alike. Escaping follows the InfluxDB 1.x parser (the strictest of the generations): in
 * measurements `,` and space; in tag keys, tag values and field keys `,`, `=` and space; in string field
 * values `"` and `\`. Newlines inside string fields are kept as they are (the parser allows them there).
 */

// Most names need no escape: test first, which is much cheaper than a replace that finds nothing.
const escapeKey = (s: string): string => (/[,= ]/.test(s) ? s.replace(/[,= ]/g, (c) => `\\${c}`) : s);
const escapeMeasurementName = (s: string): string => (/[, ]/.test(s) ? s.replace(/[, ]/g, (c) => `\\${c}`) : s);

/** A tag value or field key as line protocol writes it. */
export const escapeTag = escapeKey;

/** A string field value, quoted. */
export const stringField = (s: string): string => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;

/** A float field value: JavaScript's shortest round-trip form, which InfluxDB parses back to the same double. */
export function floatField(v: number): string {
  // String(-0) is "0"; keep the sign, as DuckDB does.
  return Object.is(v, -0) ? '-0' : String(v);
}

/**
 * Whether a string can be a tag value or field key: line protocol has no escape for a line break, and a
 * backslash next to an escaped character cannot be told apart from an escape.
 */
export const isLineSafe = (s: string): boolean => s.length > 0 && !/[\n\r\\]/.test(s);

/** The first and last ms InfluxDB can store (its time is int64 nanoseconds). */
export const MIN_MS = -9_223_372_036_853;
export const MAX_MS = 9_223_372_036_853;

const bad = (message: string): StoreError => new StoreError('STORE_BAD_INPUT', message);

/**
 * The checks InfluxDB adds to the shared ones (validate.ts): ids and metric names must be writable as tags
 * and field keys, `time` is not a field name InfluxDB accepts, and times must fit int64 ns. Run before
 * anything is sent, so that a batch is refused whole rather than written in part.
 */
export function checkPointsForInflux(points: readonly Point[]): void {
  points.forEach((p, i) => {
    const at = `point ${i}`;
    if (!isLineSafe(p.asset)) throw bad(`${at}: asset ${JSON.stringify(p.asset)} cannot be an InfluxDB tag (no line breaks or backslashes)`);
    if (!isLineSafe(p.device)) throw bad(`${at}: device ${JSON.stringify(p.device)} cannot be an InfluxDB tag (no line breaks or backslashes)`);
    if (p.ts < MIN_MS || p.ts > MAX_MS) throw bad(`${at}: ts ${p.ts} is outside the times InfluxDB can store`);
    for (const metric of Object.keys(p.values)) {
      if (!isLineSafe(metric) || metric === 'time') throw bad(`${at}: ${JSON.stringify(metric)} cannot be an InfluxDB field name`);
    }
  });
}

/**
 * A tag set, its keys sorted as InfluxDB prefers them (it sorts them itself otherwise, on every point).
 * Tags whose value is undefined are left out.
 */
export function tagSet(tags: Record<string, string | undefined>): string {
  let out = '';
  for (const key of Object.keys(tags).sort()) {
    const v = tags[key];
    if (v !== undefined) out += `,${escapeKey(key)}=${escapeKey(v)}`;
  }
  return out;
}

/** One line: measurement, tags, fields (already formatted values) and a time in the write's precision. */
export function line(measurement: string, tags: Record<string, string | undefined>, fields: ReadonlyArray<[string, string]>, time: string | number): string {
  let f = '';
  for (const [k, v] of fields) f += `${f ? ',' : ''}${escapeKey(k)}=${v}`;
  return `${escapeMeasurementName(measurement)}${tagSet(tags)} ${f} ${time}`;
}

/** The raw line of a point (ms precision). */
export function pointLine(p: Point): string {
  const fields: Array<[string, string]> = [];
  for (const [metric, v] of Object.entries(p.values)) fields.push([metric, floatField(v)]);
  return line(rawMeasurement(p.kind), { [assetTag(p.kind)]: p.asset, [DEVICE_TAG]: p.device }, fields, p.ts);
}
