import { AlertEvent, Agg, StoredReading } from '@cityhub/contracts';
import { StoreError } from './errors.js';
import type { AlertEventQuery, DeadLetter, DeadLetterQuery, Point, SeriesQuery } from './types.js';

/**
 * Input checks every adapter runs before it touches its database, so that both refuse the same inputs
 * with the same code (`STORE_BAD_INPUT`) and a bad batch is refused whole, never half written.
 */

/** Dead letters listed when the query gives no limit, and the most a query may ask for. */
export const DEAD_LETTER_LIMITS = { default: 100, max: 1000 } as const;

const bad = (message: string): StoreError => new StoreError('STORE_BAD_INPUT', message);
const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
// A plain boolean (not a type guard), so that checking a typed array at run time does not widen it to any[].
const isList = (v: unknown): boolean => Array.isArray(v);

const StoredReadings = StoredReading.array();

/**
 * Throws STORE_BAD_INPUT unless every point is a `StoredReading` (the contracts' schema): known kind, ids,
 * integer ms, at least one finite value. The message names the first problem, as the point's field and value.
 */
export function checkPoints(points: readonly Point[]): void {
  const result = StoredReadings.safeParse(points);
  if (result.success) return;
  const issue = result.error.issues[0]!;
  const [index, field, metric] = issue.path;
  if (index === undefined) throw bad('points must be an array');
  const p = points[index as number] as Partial<Record<string, unknown>> | null;
  const at = `point ${String(index)}`;
  if (field === undefined || p === null || typeof p !== 'object') throw bad(`${at} must be an object`);
  throw bad(`${at}: ${pointProblem(field, metric, p, issue.message)}`);
}

/** What is wrong with one field of a point, as the store has always said it. */
function pointProblem(field: PropertyKey, metric: PropertyKey | undefined, p: Partial<Record<string, unknown>>, message: string): string {
  switch (field) {
    case 'kind': return `unknown kind ${JSON.stringify(p.kind)}`;
    case 'asset': case 'device': return `${field} must be a non-empty string`;
    case 'ts': return `ts must be integer epoch milliseconds, got ${String(p.ts)}`;
    case 'seq': return `seq must be an integer, got ${String(p.seq)}`;
  }
  if (metric !== undefined) return `${String(metric)} must be a finite number, got ${String((p.values as Record<PropertyKey, unknown>)[metric])}`;
  if (typeof p.values !== 'object' || p.values === null) return 'values must be an object';
  return message;
}

/** Throws STORE_BAD_INPUT unless the series query is answerable. */
export function checkSeriesQuery(q: SeriesQuery): void {
  if (!isList(q.assets) || q.assets.length === 0) throw bad('assets must list at least one asset');
  if (!q.assets.every(isName)) throw bad('every asset must be a non-empty string');
  if (!isName(q.metric)) throw bad('metric must be a non-empty string');
  if (!Number.isSafeInteger(q.from) || !Number.isSafeInteger(q.to)) throw bad('from and to must be integer epoch milliseconds');
  if (q.from >= q.to) throw bad(`from (${q.from}) must be before to (${q.to})`);
  if (q.stepS === undefined) return;
  if (!Number.isSafeInteger(q.stepS) || q.stepS <= 0) throw bad(`stepS must be a positive integer of seconds, got ${String(q.stepS)}`);
  if (q.agg === undefined) throw bad('a step needs an aggregate (agg)');
  if (!Agg.safeParse(q.agg).success) throw bad(`unknown aggregate ${JSON.stringify(q.agg)}; one of ${Agg.options.join(', ')}`);
}

/** Throws STORE_BAD_INPUT unless every dead letter can be stored. */
export function checkDeadLetters(rows: readonly DeadLetter[]): void {
  if (!isList(rows)) throw bad('dead letters must be an array');
  rows.forEach((r, i) => {
    const at = `dead letter ${i}`;
    if (r.id !== undefined && !isName(r.id)) throw bad(`${at}: id, when given, must be a non-empty string`);
    if (!Number.isSafeInteger(r.received)) throw bad(`${at}: received must be integer epoch milliseconds`);
    if (r.device !== null && typeof r.device !== 'string') throw bad(`${at}: device must be a string or null`);
    if (!isName(r.reason)) throw bad(`${at}: reason must be a non-empty string`);
    for (const f of ['topic', 'message', 'payload'] as const) {
      if (typeof r[f] !== 'string') throw bad(`${at}: ${f} must be a string`);
    }
    if (r.size !== undefined && (!Number.isSafeInteger(r.size) || r.size < 0)) throw bad(`${at}: size, when given, must be a byte count`);
    if (r.sha256 !== undefined && !/^[0-9a-f]{64}$/.test(r.sha256)) throw bad(`${at}: sha256, when given, must be 64 hex digits`);
  });
}

/** Checks a dead-letter query and returns the limit to apply (default 100, at most 1000). */
export function deadLetterLimit(q: DeadLetterQuery): number {
  if (q.from !== undefined && !Number.isSafeInteger(q.from)) throw bad('from must be integer epoch milliseconds');
  if (q.to !== undefined && !Number.isSafeInteger(q.to)) throw bad('to must be integer epoch milliseconds');
  if (q.from !== undefined && q.to !== undefined && q.from >= q.to) throw bad(`from (${q.from}) must be before to (${q.to})`);
  if (q.limit === undefined) return DEAD_LETTER_LIMITS.default;
  if (!Number.isSafeInteger(q.limit) || q.limit < 1) throw bad(`limit must be a positive integer, got ${String(q.limit)}`);
  return Math.min(q.limit, DEAD_LETTER_LIMITS.max);
}

/** Throws STORE_BAD_INPUT unless `before` is an integer epoch ms. */
export function checkBefore(before: number): void {
  if (!Number.isSafeInteger(before)) throw bad(`before must be integer epoch milliseconds, got ${String(before)}`);
}

/** Checks alert events before they are written (shared by every adapter). */
export function checkAlertEvents(events: readonly AlertEvent[]): void {
  const list: unknown = events;
  if (!Array.isArray(list)) throw new StoreError('STORE_BAD_INPUT', 'alert events must be an array');
  for (const e of events) {
    const r = AlertEvent.safeParse(e);
    if (!r.success || !Number.isSafeInteger(e.at) || (e.value !== null && !Number.isFinite(e.value))) {
      throw new StoreError('STORE_BAD_INPUT', `bad alert event ${JSON.stringify(e?.id)}: ${r.success ? 'non-finite time or value' : r.error.issues[0]?.message}`);
    }
  }
}

/** How many alert events a listing returns: 200 by default, at most 5,000. */
export function alertLimit(q: AlertEventQuery): number {
  const l = q.limit ?? 200;
  if (!Number.isInteger(l) || l < 1 || l > 5_000) throw new StoreError('STORE_BAD_INPUT', 'limit must be an integer from 1 to 5000');
  return l;
}
