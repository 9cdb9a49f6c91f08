import { randomUUID } from 'node:crypto';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { cappedLetter, DEAD_LETTER_PAYLOAD_BYTES } from '../dead-letter-payload.js';
import type { DeadLetter, DeadLetterQuery } from '../types.js';
import { num, str, strOrNull } from './values.js';

/**
 * Dead letters in DuckDB. `n` numbers rows in arrival order, so that rows received in the same
 * millisecond still list newest first; it continues from the file's largest on open (one writer per file).
 */
export class DeadLetterTable {
  private constructor(private lastN: number) {}

  /** Reads where numbering stopped. */
  static async open(conn: DuckDBConnection): Promise<DeadLetterTable> {
    const reader = await conn.runAndReadAll('SELECT coalesce(max(n), 0) FROM dead_letters');
    return new DeadLetterTable(num(reader.getRows()[0]?.[0] ?? 0));
  }

  /** Deletes rows by id; returns how many went. */
  async delete(conn: DuckDBConnection, ids: readonly string[]): Promise<number> {
    let n = 0;
    for (let i = 0; i < ids.length; i += 1_000) {
      const chunk = ids.slice(i, i + 1_000);
      const list = chunk.map((_, k) => `$i${k}`).join(', ');
      n += (await conn.run(`DELETE FROM dead_letters WHERE id IN (${list})`, Object.fromEntries(chunk.map((id, k) => [`i${k}`, id])))).rowsChanged;
    }
    return n;
  }

  /** Appends checked rows in one transaction; a row with a given id replaces the row of that id. */
  async write(conn: DuckDBConnection, rows: readonly DeadLetter[]): Promise<void> {
    if (rows.length === 0) return;
    const ids = rows.flatMap((r) => (r.id === undefined ? [] : [r.id]));
    let n = this.lastN;
    await conn.run('BEGIN TRANSACTION');
    try {
      if (ids.length > 0) {
        const list = ids.map((_, i) => `$i${i}`).join(', ');
        await conn.run(`DELETE FROM dead_letters WHERE id IN (${list})`, Object.fromEntries(ids.map((id, i) => [`i${i}`, id])));
      }
      const appender = await conn.createAppender('dead_letters');
      try {
        for (const row of rows) {
          const r = cappedLetter(row);
          appender.appendVarchar(r.id ?? randomUUID());
          appender.appendBigInt(BigInt(++n));
          appender.appendBigInt(BigInt(r.received));
          if (r.device === null) appender.appendNull();
          else appender.appendVarchar(r.device);
          appender.appendVarchar(r.topic);
          appender.appendVarchar(r.reason);
          appender.appendVarchar(r.message);
          appender.appendVarchar(r.payload);
          appender.appendBigInt(BigInt(r.size));
          appender.appendVarchar(r.sha256);
          appender.endRow();
        }
      } finally {
        appender.closeSync();
      }
      await conn.run('COMMIT');
      this.lastN = n;
    } catch (e) {
      await conn.run('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  /**
   * Lists rows newest first; `limit` is already checked and clamped. At most `DEAD_LETTER_PAYLOAD_BYTES`
   * characters of each payload are read, so that letters stored before the cap cannot make a listing huge.
   */
  async list(conn: DuckDBConnection, q: DeadLetterQuery, limit: number): Promise<DeadLetter[]> {
    const where: string[] = [];
    const params: Record<string, DuckDBValue> = {};
    if (q.device !== undefined) {
      where.push('device = $device');
      params.device = q.device;
    }
    if (q.reason !== undefined) {
      where.push('reason = $reason');
      params.reason = q.reason;
    }
    // from, to and limit are checked safe integers.
    if (q.from !== undefined) where.push(`received >= ${q.from}`);
    if (q.to !== undefined) where.push(`received < ${q.to}`);
    const reader = await conn.runAndReadAll(
      `SELECT id, received, device, topic, reason, message, left(payload, ${DEAD_LETTER_PAYLOAD_BYTES}), coalesce(size, strlen(payload)), sha256 FROM dead_letters
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY received DESC, n DESC LIMIT ${limit}`,
      params,
    );
    return reader.getRows().map(([id, received, device, topic, reason, message, payload, size, sha256]) => ({
      id: str(id as DuckDBValue),
      received: num(received as DuckDBValue),
      device: strOrNull(device as DuckDBValue),
      topic: str(topic as DuckDBValue),
      reason: str(reason as DuckDBValue) as DeadLetter['reason'],
      message: str(message as DuckDBValue),
      payload: str(payload as DuckDBValue),
      size: num(size as DuckDBValue),
      ...(sha256 !== null && { sha256: str(sha256 as DuckDBValue) }),
    }));
  }
}
