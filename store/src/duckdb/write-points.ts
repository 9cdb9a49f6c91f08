import type { DuckDBConnection } from '@duckdb/node-api';
import type { Point } from '../types.js';
import { seriesKey, type FoldState } from './fold.js';
import { updateLatest } from './latest.js';
import { refreshRollups } from './rollups.js';

/** Folds readings that share a key (kind, asset, device, ts) into one, later values winning per metric. */
function mergeDuplicates(points: readonly Point[]): readonly Point[] {
  const byKey = new Map<string, Point>();
  for (const p of points) {
    const key = `${p.kind}\u0000${p.asset}\u0000${p.device}\u0000${p.ts}`;
    const seen = byKey.get(key);
    if (seen) byKey.set(key, { ...p, values: { ...seen.values, ...p.values } });
    else byKey.set(key, p);
  }
  return byKey.size === points.length ? points : [...byKey.values()];
}

/** Appends points' rows (one per metric) to `table` through DuckDB's Appender; the rows. */
async function append(conn: DuckDBConnection, table: string, points: readonly Point[]): Promise<number> {
  const appender = await conn.createAppender(table);
  let rows = 0;
  try {
    for (const p of points) {
      const ts = BigInt(p.ts);
      const seq = BigInt(p.seq);
      for (const [metric, value] of Object.entries(p.values)) {
        appender.appendVarchar(p.kind);
        appender.appendVarchar(p.asset);
        appender.appendVarchar(p.device);
        appender.appendVarchar(metric);
        appender.appendBigInt(ts);
        appender.appendDouble(value);
        appender.appendBigInt(seq);
        appender.endRow();
        rows++;
      }
    }
  } finally {
    appender.closeSync();
  }
  return rows;
}

/**
 * Splits a batch: points at or after W that are newer than anything stored of their series (so no stored key
 * can collide) are only appended to raw; the rest (late, or re-delivered) are written with their rollups.
 */
function split(points: readonly Point[], fold: FoldState): { fresh: Point[]; other: Point[] } {
  const fresh: Point[] = [];
  const other: Point[] = [];
  for (const p of points) {
    const newest = fold.newest.get(seriesKey(p.kind, p.asset, p.device));
    if (p.ts >= fold.through && (newest === undefined || p.ts > newest)) fresh.push(p);
    else other.push(p);
  }
  return { fresh, other };
}

/**
 * Writes checked points in one transaction. Keys are (kind, asset, device, metric, ts): a re-write
 * overwrites per metric, like InfluxDB's fields. New points at or after W (the live edge, see fold.ts) are
 * appended to raw and nothing else: the next fold brings `latest` and the rollups up to date. Any other point
 * goes into the TEMP `staging` table, rows of `raw` with the same keys are deleted, the batch is inserted,
 * and `latest` and the rollup buckets it falls in are brought up to date. `staging` lives on `conn`, so calls
 * on one connection must not overlap (the store queues them). Answers the rows written (a row per metric value).
 */
export async function writePoints(conn: DuckDBConnection, input: readonly Point[], fold: FoldState): Promise<number> {
  const points = mergeDuplicates(input);
  if (points.length === 0) return 0;
  const { fresh, other } = split(points, fold);
  let rows = 0;
  await conn.run('BEGIN TRANSACTION');
  try {
    // Appending inside the transaction makes the rows roll back with everything else.
    if (fresh.length > 0) rows += await append(conn, 'raw', fresh);
    if (other.length > 0) rows += await writeOthers(conn, other);
    await conn.run('COMMIT');
  } catch (e) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw e;
  }
  // After the commit, so that no read can keep what it saw before the change under the new revision.
  if (other.length > 0) fold.revision++;
  for (const p of points) {
    if (p.ts < fold.through) continue;
    const key = seriesKey(p.kind, p.asset, p.device);
    if (p.ts > (fold.newest.get(key) ?? -Infinity)) fold.newest.set(key, p.ts);
  }
  return rows;
}

/** Writes late or re-delivered points, inside the caller's transaction: raw by key, `latest`, rollups; their rows. */
async function writeOthers(conn: DuckDBConnection, points: readonly Point[]): Promise<number> {
  let minTs = Number.MAX_SAFE_INTEGER;
  let maxTs = Number.MIN_SAFE_INTEGER;
  for (const p of points) {
    if (p.ts < minTs) minTs = p.ts;
    if (p.ts > maxTs) maxTs = p.ts;
  }
  const rows = await append(conn, 'staging', points);
  // The time bounds are literals (checked safe integers), so that DuckDB prunes row groups by their
  // zone maps: a batch of recent readings touches only the newest part of the table.
  const inRange = (col: string): string => `${col} BETWEEN ${minTs} AND ${maxTs}`;
  const replaced = await conn.run(`DELETE FROM raw USING staging s WHERE ${inRange('raw.ts')} AND raw.ts = s.ts
    AND raw.asset = s.asset AND raw.metric = s.metric AND raw.device = s.device AND raw.kind = s.kind`);
  await conn.run('INSERT INTO raw SELECT kind, asset, device, metric, ts, value, seq FROM staging');
  await updateLatest(conn, 'staging', inRange('r.ts'));
  await refreshRollups(conn, minTs, maxTs, replaced.rowsChanged > 0);
  await conn.run('DELETE FROM staging');
  return rows;
}
