import type { DuckDBConnection } from '@duckdb/node-api';
import type { Point } from '../types.js';
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

/**
 * Writes checked points in one transaction: the batch goes into the TEMP `staging` table through the
 * Appender, rows of `raw` with the same keys are deleted, the batch is inserted, and `latest` is brought
 * up to date, and so are the rollup buckets the batch falls in. Keys are (kind, asset, device, metric, ts): a re-write overwrites per metric, like InfluxDB's
 * fields. `staging` lives on `conn`, so calls on one connection must not overlap (the store queues them).
 */
export async function writePoints(conn: DuckDBConnection, input: readonly Point[]): Promise<void> {
  const points = mergeDuplicates(input);
  if (points.length === 0) return;
  let minTs = Number.MAX_SAFE_INTEGER;
  let maxTs = Number.MIN_SAFE_INTEGER;
  await conn.run('BEGIN TRANSACTION');
  try {
    // Appending inside the transaction makes the staged rows roll back with everything else.
    const appender = await conn.createAppender('staging');
    try {
      for (const p of points) {
        if (p.ts < minTs) minTs = p.ts;
        if (p.ts > maxTs) maxTs = p.ts;
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
        }
      }
    } finally {
      appender.closeSync();
    }
    // The time bounds are literals (checked safe integers), so that DuckDB prunes row groups by their
    // zone maps: a batch of recent readings touches only the newest part of the table.
    const inRange = (col: string): string => `${col} BETWEEN ${minTs} AND ${maxTs}`;
    const replaced = await conn.run(`DELETE FROM raw USING staging s WHERE ${inRange('raw.ts')} AND raw.ts = s.ts
      AND raw.asset = s.asset AND raw.metric = s.metric AND raw.device = s.device AND raw.kind = s.kind`);
    await conn.run('INSERT INTO raw SELECT kind, asset, device, metric, ts, value, seq FROM staging');
    await updateLatest(conn, inRange('r.ts'));
    await refreshRollups(conn, minTs, maxTs, replaced.rowsChanged > 0);
    await conn.run('DELETE FROM staging');
    await conn.run('COMMIT');
  } catch (e) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

/**
 * Replaces the `latest` rows of each asset whose newest staged reading is at least as new as the one
 * kept (ties on ts go to the greater device id, so the choice is stable). The winning reading's values
 * are read back from `raw`, so a reading re-written with fewer metrics keeps the metrics it had.
 */
async function updateLatest(conn: DuckDBConnection, rawInRange: string): Promise<void> {
  // A struct compares field by field, so its max is the newest ts, then the greatest device
  // (measured twice as fast as a row_number() window over the batch).
  await conn.run(`INSERT INTO staging_latest
    SELECT c.kind, c.asset, c.w.device, c.w.ts
    FROM (SELECT kind, asset, max({'ts': ts, 'device': device}) AS w FROM staging GROUP BY kind, asset) c
    LEFT JOIN (SELECT kind, asset, any_value(device) AS device, any_value(ts) AS ts FROM latest GROUP BY kind, asset) e
      ON e.kind = c.kind AND e.asset = c.asset
    WHERE e.ts IS NULL OR c.w.ts > e.ts OR (c.w.ts = e.ts AND c.w.device >= e.device)`);
  await conn.run('DELETE FROM latest USING staging_latest w WHERE latest.kind = w.kind AND latest.asset = w.asset');
  await conn.run(`INSERT INTO latest
    SELECT r.kind, r.asset, r.device, r.metric, r.ts, r.value, r.seq
    FROM raw r JOIN staging_latest w ON r.ts = w.ts AND r.asset = w.asset AND r.device = w.device AND r.kind = w.kind
    WHERE ${rawInRange}`);
  await conn.run('DELETE FROM staging_latest');
}
