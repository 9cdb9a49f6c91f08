import { randomUUID } from 'node:crypto';
import { capPayload, cappedLetter } from '../dead-letter-payload.js';
import type { DeadLetter, DeadLetterQuery } from '../types.js';
import type { DeleteRange } from './deletes.js';
import { placeEntries, pointsOf, type LogShape } from './event-log.js';
import { column, numAt, strAt, type Series } from './http.js';
import { clampMs, ident, literal } from './influxql.js';
import { floatField, isLineSafe, line, stringField } from './line-protocol.js';
import { DEAD_LETTERS } from './schema.js';

/**
 * Dead letters in InfluxDB: measurement `dead_letters`, tags `reason` and `device` (bounded: reasons and
 * registered devices' ids), and everything as fields too, exactly: `id`, `received`,
 * `topic`, `message`, `payload` (capped, dead-letter-payload.ts), `size`, `sha256`, `reason_id`, `device_id`
 * (absent for no device), and `slot`. Strings
 * round-trip as they are — quotes and backslashes escaped, line breaks kept (InfluxDB's parser allows them
 * inside string fields) — and a value that cannot be a tag (a line break, a backslash) is simply not
 * tagged: it is then found through its field. The time is `received` plus a slot (event-log.ts), so a
 * letter is identified by (received, id), which is how the hub re-writes one.
 */

type Run = (statements: string[]) => Promise<Series[][]>;

const SHAPE: LogShape = { measurement: DEAD_LETTERS, timeField: 'received', tagKeys: ['reason', 'device'] };

/**
 * A letter's tags. The device is tagged only when it is a registered one: an unknown device's id comes
 * from whoever published (any client of a foreign broker, with `cityhub ingest`), and tagging such ids
 * would let anyone grow the series index until InfluxDB refuses writes (`max-values-per-tag`).
 */
const tagsOf = (r: DeadLetter) => ({
  reason: isLineSafe(r.reason) ? r.reason : undefined,
  device: r.device !== null && r.reason !== 'unknown_device' && isLineSafe(r.device) ? r.device : undefined,
});

/** The lines (ns precision) that store checked rows, and the old points to delete first. */
export async function deadLetterWrites(rows: readonly DeadLetter[], run: Run): Promise<{ lines: string[]; deletes: DeleteRange[] }> {
  const entries = rows.map((r) => ({ id: r.id ?? randomUUID(), ms: r.received, tags: tagsOf(r) }));
  const { placed, deletes } = await placeEntries(SHAPE, entries, run);
  // By time: a letter given twice in one batch is written once, the later copy winning.
  const lines = new Map<bigint, string>();
  rows.forEach((row, i) => {
    const r = cappedLetter(row);
    const { id, tags } = entries[i]!;
    const { ns, slot } = placed[i]!;
    const fields: Array<[string, string]> = [
      ['id', stringField(id)],
      ['slot', floatField(slot)],
      ['received', floatField(r.received)],
      ['topic', stringField(r.topic)],
      ['reason_id', stringField(r.reason)],
      ['message', stringField(r.message)],
      ['payload', stringField(r.payload)],
      ['size', floatField(r.size)],
      ['sha256', stringField(r.sha256)],
    ];
    if (r.device !== null) fields.push(['device_id', stringField(r.device)]);
    lines.delete(ns);
    lines.set(ns, line(DEAD_LETTERS, tags, fields, ns.toString()));
  });
  return { lines: [...lines.values()], deletes };
}

/** The points of the letters with these ids. */
export const deadLetterPoints = (ids: readonly string[], run: Run): Promise<DeleteRange[]> => pointsOf(SHAPE, ids, run);

/** Letters read per query when listing: with letters stored before the cap, a page bounds the memory a listing takes. */
const PAGE = 100;

/** Lists letters newest first, a page at a time; `limit` is already checked and clamped. */
export async function listDeadLetters(q: DeadLetterQuery, limit: number, run: Run): Promise<DeadLetter[]> {
  const where: string[] = [];
  // Not every device is tagged (tagsOf), so devices are found through their field. A reason that can be
  // a tag was written as one, so the index finds it; any other only as a field.
  if (q.device !== undefined) where.push(`"device_id" = ${literal(q.device)}`);
  if (q.reason !== undefined) where.push(`${ident(isLineSafe(q.reason) ? 'reason' : 'reason_id')} = ${literal(q.reason)}`);
  if (q.from !== undefined) where.push(`time >= ${clampMs(q.from)}ms`);
  if (q.to !== undefined) where.push(`time < ${clampMs(q.to)}ms`);
  const out: DeadLetter[] = [];
  for (let offset = 0; offset < limit; offset += PAGE) {
    const n = Math.min(PAGE, limit - offset);
    const [series = []] = await run([
      `SELECT * FROM ${ident(DEAD_LETTERS)}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY time DESC LIMIT ${n} OFFSET ${offset}`,
    ]);
    const page = series.flatMap(lettersOf);
    out.push(...page);
    if (page.length < n) break;
  }
  return out;
}

/** The letters of one series of a listing, payloads capped (letters stored before the cap were whole). */
function lettersOf(s: Series): DeadLetter[] {
  const c = Object.fromEntries(['id', 'received', 'device_id', 'topic', 'reason_id', 'message', 'payload', 'size', 'sha256'].map((n) => [n, column(s, n)]));
  return (s.values ?? []).map((row) => {
    const payload = strAt(row, c.payload!) ?? '';
    const size = numAt(row, c.size!);
    const sha256 = strAt(row, c.sha256!);
    return {
      id: strAt(row, c.id!) ?? '',
      received: numAt(row, c.received!) ?? 0,
      device: strAt(row, c.device_id!) ?? null,
      topic: strAt(row, c.topic!) ?? '',
      reason: (strAt(row, c.reason_id!) ?? '') as DeadLetter['reason'],
      message: strAt(row, c.message!) ?? '',
      payload: capPayload(payload).payload,
      size: size ?? Buffer.byteLength(payload, 'utf8'),
      ...(sha256 !== undefined && { sha256 }),
    };
  });
}
