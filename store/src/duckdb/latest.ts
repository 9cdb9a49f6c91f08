import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import type { Kind } from '@cityhub/contracts';
import type { LatestPoint } from '../types.js';
import { num, str } from './values.js';

/**
 * Replaces the `latest` rows of each asset whose newest reading in `source` (a relation with kind, asset,
 * device, ts: the staged batch, or the raw points a fold covers) is at least as new as the one kept (ties on
 * ts go to the greater device id, so the choice is stable). The winning reading's values are read back from
 * `raw` (rows matching `rawInRange`), so a reading re-written with fewer metrics keeps the metrics it had.
 */
export async function updateLatest(conn: DuckDBConnection, source: string, rawInRange: string): Promise<void> {
  // A struct compares field by field, so its max is the newest ts, then the greatest device
  // (measured twice as fast as a row_number() window over the batch).
  await conn.run(`INSERT INTO staging_latest
    SELECT c.kind, c.asset, c.w.device, c.w.ts
    FROM (SELECT kind, asset, max({'ts': ts, 'device': device}) AS w FROM ${source} GROUP BY kind, asset) c
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

/**
 * The newest reading of every asset of `kind`: the `latest` table, which reflects raw before W (`through`),
 * and the raw points since W, which only a fold brings into it. The newest (ts, device) of each asset wins;
 * its metrics come from raw where raw has them.
 */
export async function readLatest(conn: DuckDBConnection, kind: Kind, through: number): Promise<LatestPoint[]> {
  const reader = await conn.runAndReadAll(
    `WITH c AS (
       SELECT asset, device, ts, metric, value, 0 AS src FROM latest WHERE kind = $kind
       UNION ALL SELECT asset, device, ts, metric, value, 1 AS src FROM raw WHERE kind = $kind AND ts >= ${through}),
     w AS (SELECT asset, max({'ts': ts, 'device': device}) AS w FROM c GROUP BY asset)
     SELECT c.asset, c.device, c.ts, c.metric, arg_max(c.value, c.src) AS value
     FROM c JOIN w ON c.asset = w.asset AND c.ts = w.w.ts AND c.device = w.w.device
     GROUP BY c.asset, c.device, c.ts, c.metric ORDER BY c.asset, c.metric`,
    { kind },
  );
  const [assetCol = [], deviceCol = [], tsCol = [], metricCol = [], valueCol = []] = reader.getColumns();
  const out: LatestPoint[] = [];
  let current: LatestPoint | undefined;
  for (let i = 0; i < assetCol.length; i++) {
    const asset = str(assetCol[i] as DuckDBValue);
    if (current?.asset !== asset) {
      current = { kind, asset, device: str(deviceCol[i] as DuckDBValue), ts: num(tsCol[i] as DuckDBValue), values: {} };
      out.push(current);
    }
    current.values[str(metricCol[i] as DuckDBValue)] = num(valueCol[i] as DuckDBValue);
  }
  return out;
}
