import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import type { AlertEvent } from '@cityhub/contracts';
import type { AlertEventQuery } from '../types.js';
import { num, str, strOrNull } from './values.js';

const COLUMNS = ['id', 'alert', 'rule', 'kind', 'asset', 'severity', 'state', 'ts', 'value', 'message', 'by_id'] as const;

/** The alert log in DuckDB: one row per event, replaced by id on a re-write (`at` is column ts, `by` by_id: keywords). */
export async function writeAlertEvents(conn: DuckDBConnection, events: readonly AlertEvent[]): Promise<void> {
  await conn.run('BEGIN TRANSACTION');
  try {
    const params: Record<string, DuckDBValue> = {};
    events.forEach((e, i) => (params[`i${i}`] = e.id));
    await conn.run(`DELETE FROM alert_log WHERE id IN (${events.map((_, i) => `$i${i}`).join(', ')})`, params);
    const a = await conn.createAppender('alert_log');
    try {
      for (const e of events) {
        a.appendVarchar(e.id); a.appendVarchar(e.alert); a.appendVarchar(e.rule); a.appendVarchar(e.kind); a.appendVarchar(e.asset);
        a.appendVarchar(e.severity); a.appendVarchar(e.state); a.appendBigInt(BigInt(e.at));
        if (e.value === null) a.appendNull(); else a.appendDouble(e.value);
        a.appendVarchar(e.message);
        if (e.by === null) a.appendNull(); else a.appendVarchar(e.by);
        a.endRow();
      }
    } finally {
      a.closeSync();
    }
    await conn.run('COMMIT');
  } catch (e) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

export async function listAlertEvents(conn: DuckDBConnection, q: AlertEventQuery, limit: number): Promise<AlertEvent[]> {
  const where: string[] = [];
  const params: Record<string, DuckDBValue> = {};
  for (const k of ['alert', 'asset', 'rule'] as const) {
    if (q[k] !== undefined) {
      where.push(`${k} = $${k}`);
      params[k] = q[k];
    }
  }
  if (q.from !== undefined) where.push(`ts >= ${q.from}`);
  if (q.to !== undefined) where.push(`ts < ${q.to}`);
  const reader = await conn.runAndReadAll(
    `SELECT ${COLUMNS.join(', ')} FROM alert_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ts DESC, id DESC LIMIT ${limit}`, params);
  return reader.getRows().map((r) => ({
    id: str(r[0] as DuckDBValue), alert: str(r[1] as DuckDBValue), rule: str(r[2] as DuckDBValue), kind: str(r[3] as DuckDBValue) as AlertEvent['kind'],
    asset: str(r[4] as DuckDBValue), severity: str(r[5] as DuckDBValue) as AlertEvent['severity'], state: str(r[6] as DuckDBValue) as AlertEvent['state'],
    at: num(r[7] as DuckDBValue), value: r[8] === null ? null : num(r[8] as DuckDBValue), message: str(r[9] as DuckDBValue), by: strOrNull(r[10] as DuckDBValue),
  }));
}
