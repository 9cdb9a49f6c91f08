import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { columnarAxis, columnarTimes } from '../columnar.js';
import type { ColumnarQuery, ColumnarResult } from '../types.js';
import { seriesStatement } from './read-queries.js';
import { str } from './values.js';

/**
 * A value rounded as `roundTo()` rounds it: DuckDB's `round()` is half away from zero; `+ 0.0` turns -0 into
 * 0; with no decimals an integer, so that the JSON says `13` rather than `13.0`.
 */
const rounded = (digits: number) => (digits === 0 ? 'round(v)::HUGEINT' : `round(v, ${digits}) + 0.0`);

/**
 * History in columns in one statement: the series statement (one scan of the rollup that fits, or of raw)
 * joined onto every (asset, bucket) of the axis, and each asset's values gathered into a JSON array by
 * DuckDB (`to_json(list(… ORDER BY t))`, null where a bucket is empty). JavaScript handles one string per
 * asset, never a value.
 */
export async function readColumns(conn: DuckDBConnection, q: ColumnarQuery, through: number): Promise<ColumnarResult> {
  const { sql: body, params, assets } = seriesStatement(q, through);
  const { first, stepMs, n } = columnarAxis(q);
  const wanted = assets.map((_, i) => `($a${i})`).join(', ');
  const sql = `WITH b AS (${body})
    SELECT w.asset, to_json(list(${rounded(q.digits)} ORDER BY g.t)) AS vals
    FROM (VALUES ${wanted}) w(asset)
    CROSS JOIN range(${first}, ${first + n * stepMs}, ${stepMs}) g(t)
    LEFT JOIN b ON b.asset = w.asset AND b.t = g.t
    GROUP BY w.asset`;
  const reader = await conn.runAndReadAll(sql, params);
  const [assetCol = [], valuesCol = []] = reader.getColumns();
  const byAsset = new Map<string, string>();
  for (let i = 0; i < assetCol.length; i++) byAsset.set(str(assetCol[i] as DuckDBValue), str(valuesCol[i] as DuckDBValue));
  return { ts: columnarTimes(q), series: q.assets.map((asset) => ({ asset, values: byAsset.get(asset) ?? '[]' })) };
}
