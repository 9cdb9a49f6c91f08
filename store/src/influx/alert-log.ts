import type { AlertEvent } from '@cityhub/contracts';
import type { AlertEventQuery } from '../types.js';
import type { DeleteRange } from './deletes.js';
import { placeEntries, type LogShape } from './event-log.js';
import { column, numAt, strAt, type Series } from './http.js';
import { clampMs, ident, literal } from './influxql.js';
import { floatField, isLineSafe, line, stringField } from './line-protocol.js';
import { ALERT_LOG } from './schema.js';

/**
 * The alert log in InfluxDB: measurement `alert_log`, tags `rule` and `asset` (bounded, for filtering
 * through the index), and every attribute as a field: `id`, `alert`, `rule_id`, `kind`, `asset_id`,
 * `severity`, `state`, `at`, `value` and `by_id` (absent when null), `message`, `slot`. The time is `at`
 * plus a slot picked by the id (event-log.ts), so an event written again replaces itself. The alert id is
 * a field, not a tag: every alert would otherwise be a series of its own.
 */

type Run = (statements: string[]) => Promise<Series[][]>;

const SHAPE: LogShape = { measurement: ALERT_LOG, timeField: 'at', tagKeys: ['rule', 'asset'] };

const tagsOf = (e: AlertEvent) => ({ rule: isLineSafe(e.rule) ? e.rule : undefined, asset: isLineSafe(e.asset) ? e.asset : undefined });

/** The lines (ns precision) that store checked events, and the old points to delete first. */
export async function alertEventWrites(events: readonly AlertEvent[], run: Run): Promise<{ lines: string[]; deletes: DeleteRange[] }> {
  const entries = events.map((e) => ({ id: e.id, ms: e.at, tags: tagsOf(e) }));
  const { placed, deletes } = await placeEntries(SHAPE, entries, run);
  const lines = new Map<bigint, string>();
  events.forEach((e, i) => {
    const { ns, slot } = placed[i]!;
    const fields: Array<[string, string]> = [
      ['id', stringField(e.id)],
      ['slot', floatField(slot)],
      ['alert', stringField(e.alert)],
      ['rule_id', stringField(e.rule)],
      ['kind', stringField(e.kind)],
      ['asset_id', stringField(e.asset)],
      ['severity', stringField(e.severity)],
      ['state', stringField(e.state)],
      ['at', floatField(e.at)],
      ['message', stringField(e.message)],
    ];
    if (e.value !== null) fields.push(['value', floatField(e.value)]);
    if (e.by !== null) fields.push(['by_id', stringField(e.by)]);
    lines.delete(ns);
    lines.set(ns, line(ALERT_LOG, entries[i]!.tags, fields, ns.toString()));
  });
  return { lines: [...lines.values()], deletes };
}

function eventsOf(series: readonly Series[]): AlertEvent[] {
  const out: AlertEvent[] = [];
  for (const s of series) {
    const c = Object.fromEntries(
      ['id', 'alert', 'rule_id', 'kind', 'asset_id', 'severity', 'state', 'at', 'value', 'message', 'by_id'].map((n) => [n, column(s, n)]),
    );
    for (const row of s.values ?? []) {
      out.push({
        id: strAt(row, c.id!) ?? '',
        alert: strAt(row, c.alert!) ?? '',
        rule: strAt(row, c.rule_id!) ?? '',
        kind: (strAt(row, c.kind!) ?? '') as AlertEvent['kind'],
        asset: strAt(row, c.asset_id!) ?? '',
        severity: (strAt(row, c.severity!) ?? '') as AlertEvent['severity'],
        state: (strAt(row, c.state!) ?? '') as AlertEvent['state'],
        at: numAt(row, c.at!) ?? 0,
        value: numAt(row, c.value!) ?? null,
        message: strAt(row, c.message!) ?? '',
        by: strAt(row, c.by_id!) ?? null,
      });
    }
  }
  return out;
}

/** Newest first: by `at`, then by id (greater first), as the Store promises. */
const newestFirst = (a: AlertEvent, b: AlertEvent): number => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/**
 * Lists events newest first; `limit` is already checked. InfluxDB orders by time, which within one
 * millisecond follows the slots, not the ids: a full page is therefore completed with every event of its
 * oldest millisecond and sorted again, so that the page is exactly the newest `limit` by (at, id).
 */
export async function listAlertEvents(q: AlertEventQuery, limit: number, run: Run): Promise<AlertEvent[]> {
  const where: string[] = [];
  if (q.alert !== undefined) where.push(`"alert" = ${literal(q.alert)}`);
  if (q.asset !== undefined) where.push(`${ident(isLineSafe(q.asset) ? 'asset' : 'asset_id')} = ${literal(q.asset)}`);
  if (q.rule !== undefined) where.push(`${ident(isLineSafe(q.rule) ? 'rule' : 'rule_id')} = ${literal(q.rule)}`);
  if (q.from !== undefined) where.push(`time >= ${clampMs(q.from)}ms`);
  if (q.to !== undefined) where.push(`time < ${clampMs(q.to)}ms`);
  const select = (conds: string[], tail: string) =>
    `SELECT * FROM ${ident(ALERT_LOG)}${conds.length ? ` WHERE ${conds.join(' AND ')}` : ''}${tail}`;
  const [page = []] = await run([select(where, ` ORDER BY time DESC LIMIT ${limit}`)]);
  const events = eventsOf(page);
  if (events.length < limit) return events.sort(newestFirst);
  const oldest = Math.min(...events.map((e) => e.at));
  const [edge = []] = await run([select([...where, `time >= ${oldest}ms`, `time < ${oldest + 1}ms`], '')]);
  const byId = new Map(events.map((e) => [e.id, e]));
  for (const e of eventsOf(edge)) byId.set(e.id, e);
  return [...byId.values()].sort(newestFirst).slice(0, limit);
}
