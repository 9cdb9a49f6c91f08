import type { DuckDBConnection } from '@duckdb/node-api';
import { ROLLUPS } from '../types.js';
import { ROLLUP_TABLES } from './schema.js';

const KEY = 'kind, asset, device, metric';
const JOIN_KEY = (a: string, b: string) => ['kind', 'asset', 'device', 'metric'].map((c) => `${a}.${c} = ${b}.${c}`).join(' AND ');

/**
 * Rebuilds, from the next finer data, every rollup bucket that the rows now in `staging` fall in: 1 min
 * from raw, 15 min from 1 min, 1 h from 15 min. A live batch so re-aggregates a few rows per series and
 * bucket, and a late batch (a device flushing yesterday) rebuilds exactly the old buckets it touched.
 * Runs inside the caller's transaction, after `raw` has the batch.
 *
 * When the batch replaced no stored point (`replacedAny` false, the usual case), the 1 min buckets are
 * brought up to date by merging the batch's own aggregates into them, which costs the batch's size
 * whatever the rate; a batch that overwrote points (a re-delivery) has those buckets rebuilt from raw.
 */
export async function refreshRollups(conn: DuckDBConnection, minTs: number, maxTs: number, replacedAny: boolean): Promise<void> {
  let source = 'raw';
  let finerMs = 0;
  for (const r of ROLLUPS) {
    const table = ROLLUP_TABLES[r.name];
    const lo = Math.floor(minTs / r.ms) * r.ms;
    const hi = Math.floor(maxTs / r.ms) * r.ms;
    if (source === 'raw' && !replacedAny) {
      await mergeBatch(conn, table, r.ms, lo, hi);
      source = table;
      finerMs = r.ms;
      continue;
    }
    await conn.run(`INSERT INTO touched SELECT DISTINCT ${KEY}, (ts // ${r.ms}) * ${r.ms} FROM staging`);
    await conn.run(`DELETE FROM ${table} USING touched t WHERE ${table}.bucket BETWEEN ${lo} AND ${hi}
      AND ${table}.bucket = t.bucket AND ${JOIN_KEY(table, 't')}`);
    const fromFiner = source === 'raw'
      ? `SELECT s.kind, s.asset, s.device, s.metric, t.bucket, count(*), sum(s.value), min(s.value), max(s.value),
           arg_max(s.value, s.ts), max(s.ts)
         FROM raw s JOIN touched t ON (s.ts // ${r.ms}) * ${r.ms} = t.bucket AND ${JOIN_KEY('s', 't')}
         WHERE s.ts BETWEEN ${lo} AND ${hi + r.ms - 1}`
      : `SELECT s.kind, s.asset, s.device, s.metric, t.bucket, sum(s.count), sum(s.sum), min(s.min), max(s.max),
           arg_max(s.last, s.last_ts), max(s.last_ts)
         FROM ${source} s JOIN touched t ON (s.bucket // ${r.ms}) * ${r.ms} = t.bucket AND ${JOIN_KEY('s', 't')}
         WHERE s.bucket BETWEEN ${lo} AND ${hi + r.ms - finerMs}`;
    await conn.run(`INSERT INTO ${table} ${fromFiner} GROUP BY s.kind, s.asset, s.device, s.metric, t.bucket`);
    await conn.run('DELETE FROM touched');
    source = table;
    finerMs = r.ms;
  }
}

/** Merges the aggregates of the rows in `staging` into `table`'s buckets (new points only). */
async function mergeBatch(conn: DuckDBConnection, table: string, ms: number, lo: number, hi: number): Promise<void> {
  await conn.run(`INSERT INTO delta SELECT ${KEY}, (ts // ${ms}) * ${ms} AS bucket, count(*), sum(value), min(value), max(value),
    arg_max(value, ts), max(ts) FROM staging GROUP BY ${KEY}, bucket`);
  // A bucket's last value is the one with the greatest time; the key includes the device, so no ties.
  await conn.run(`INSERT INTO merged SELECT d.kind, d.asset, d.device, d.metric, d.bucket,
      d.count + coalesce(o.count, 0), d.sum + coalesce(o.sum, 0), least(d.min, coalesce(o.min, d.min)),
      greatest(d.max, coalesce(o.max, d.max)),
      CASE WHEN o.last_ts IS NULL OR d.last_ts > o.last_ts THEN d.last ELSE o.last END,
      greatest(d.last_ts, coalesce(o.last_ts, d.last_ts))
    FROM delta d LEFT JOIN (SELECT * FROM ${table} WHERE bucket BETWEEN ${lo} AND ${hi}) o
      ON o.bucket = d.bucket AND ${JOIN_KEY('o', 'd')}`);
  await conn.run(`DELETE FROM ${table} USING delta d WHERE ${table}.bucket BETWEEN ${lo} AND ${hi}
    AND ${table}.bucket = d.bucket AND ${JOIN_KEY(table, 'd')}`);
  await conn.run(`INSERT INTO ${table} SELECT * FROM merged`);
  await conn.run('DELETE FROM delta');
  await conn.run('DELETE FROM merged');
}

/** Builds every rollup from the whole of `raw` (a migration from a file that had none). */
export async function buildAllRollups(conn: DuckDBConnection): Promise<void> {
  let source = 'raw';
  for (const r of ROLLUPS) {
    const table = ROLLUP_TABLES[r.name];
    await conn.run(`DELETE FROM ${table}`);
    await conn.run(source === 'raw'
      ? `INSERT INTO ${table} SELECT ${KEY}, (ts // ${r.ms}) * ${r.ms} AS b, count(*), sum(value), min(value), max(value),
           arg_max(value, ts), max(ts) FROM raw GROUP BY ${KEY}, b`
      : `INSERT INTO ${table} SELECT ${KEY}, (bucket // ${r.ms}) * ${r.ms} AS b, sum(count), sum(sum), min(min), max(max),
           arg_max(last, last_ts), max(last_ts) FROM ${source} GROUP BY ${KEY}, b`);
    source = table;
  }
}
