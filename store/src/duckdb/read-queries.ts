import type { Agg } from '@cityhub/contracts';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { resolutionFor, type SeriesQuery, type SeriesResult } from '../types.js';
import { readCut } from './fold.js';
import { ROLLUP_TABLES } from './schema.js';
import { num, str } from './values.js';

/**
 * The aggregate per bucket. `last` is the value at the greatest ts (then the greatest device, so that
 * two devices of one asset reporting in the same millisecond give a stable answer).
 */
const AGG_SQL: Record<Agg, string> = {
  mean: 'avg(value)',
  min: 'min(value)',
  max: 'max(value)',
  sum: 'sum(value)',
  count: 'count(*)::DOUBLE',
  last: 'arg_max(value, (ts, device))',
};

/** The same aggregates over rollup rows: exact, since a rollup keeps count, sum, min, max and last. */
const ROLLUP_AGG_SQL: Record<Agg, string> = {
  mean: 'sum(sum) / sum(count)',
  min: 'min(min)',
  max: 'max(max)',
  sum: 'sum(sum)',
  count: 'sum(count)::DOUBLE',
  last: 'arg_max(last, (last_ts, device))',
};

/**
 * The statement of a series query, unordered: `(asset, t, v)` rows, raw points or one per asset and bucket,
 * from the coarsest rollup that fits or from raw. Its parameters are the metric and the assets, `$a0`….
 * A rollup is complete only for buckets that end by W (`through`, see fold.ts): the buckets from the cut on
 * are aggregated from raw, in the rollup's own columns, and both parts are combined per step.
 */
export function seriesStatement(q: SeriesQuery, through: number): { sql: string; params: Record<string, DuckDBValue>; assets: string[] } {
  const assets = [...new Set(q.assets)];
  const params: Record<string, DuckDBValue> = { metric: q.metric };
  assets.forEach((a, i) => (params[`a${i}`] = a));
  const assetList = assets.map((_, i) => `$a${i}`).join(', ');
  // from/to/step are checked safe integers, written as literals so that zone maps prune by time.
  const where = `metric = $metric AND asset IN (${assetList}) AND ts >= ${q.from} AND ts < ${q.to}`;
  if (q.stepS === undefined || q.agg === undefined) return { sql: `SELECT asset, ts AS t, value AS v, device FROM raw WHERE ${where}`, params, assets };
  const stepMs = q.stepS * 1000;
  const res = resolutionFor(q);
  if (res !== 'raw') {
    const table = ROLLUP_TABLES[res];
    const cut = readCut(through, res);
    const rolled = `SELECT asset, device, bucket AS ts, count, sum, min, max, last, last_ts FROM ${table}
      WHERE metric = $metric AND asset IN (${assetList}) AND bucket >= ${q.from} AND bucket < ${Math.min(q.to, cut)}`;
    const fresh = `SELECT asset, device, ts, 1 AS count, value AS sum, value AS min, value AS max, value AS last, ts AS last_ts FROM raw
      WHERE metric = $metric AND asset IN (${assetList}) AND ts >= ${Math.max(q.from, cut)} AND ts < ${q.to}`;
    const parts = q.to <= cut ? rolled : q.from >= cut ? fresh : `${rolled} UNION ALL ${fresh}`;
    return {
      sql: `SELECT asset, (ts // ${stepMs}) * ${stepMs} AS t, ${ROLLUP_AGG_SQL[q.agg]} AS v FROM (${parts}) GROUP BY asset, t`,
      params, assets,
    };
  }
  // `//` floors, so buckets start at multiples of the step from the epoch, before 1970 as after.
  return { sql: `SELECT asset, (ts // ${stepMs}) * ${stepMs} AS t, ${AGG_SQL[q.agg]} AS v FROM raw WHERE ${where} GROUP BY asset, t`, params, assets };
}

/** History of one metric for several assets over [from, to), raw or bucketed; `q` is already checked. */
export async function readSeries(conn: DuckDBConnection, q: SeriesQuery, through: number): Promise<SeriesResult[]> {
  const { sql: body, params, assets } = seriesStatement(q, through);
  const sql = `SELECT asset, t, v FROM (${body}) ORDER BY asset, t${q.stepS === undefined || q.agg === undefined ? ', device' : ''}`;
  const reader = await conn.runAndReadAll(sql, params);
  // Column-wise reading measured 4× faster than getRows() on 100k buckets.
  const [assetCol = [], tsCol = [], valueCol = []] = reader.getColumns();
  const byAsset = new Map<string, SeriesResult['points']>(assets.map((a) => [a, []]));
  let points: SeriesResult['points'] | undefined;
  let last: DuckDBValue | undefined;
  for (let i = 0; i < assetCol.length; i++) {
    const asset = assetCol[i] as DuckDBValue;
    // Rows come grouped by asset, so the map is consulted once per asset rather than once per row.
    if (asset !== last || points === undefined) {
      points = byAsset.get(str(asset));
      last = asset;
    }
    points?.push([num(tsCol[i] as DuckDBValue), num(valueCol[i] as DuckDBValue)]);
  }
  // An asset named twice gets its own copy, so that no two results share one array.
  const given = new Set<string>();
  return q.assets.map((asset) => {
    const points = byAsset.get(asset) ?? [];
    const fresh = !given.has(asset);
    given.add(asset);
    return { asset, points: fresh ? points : [...points] };
  });
}
