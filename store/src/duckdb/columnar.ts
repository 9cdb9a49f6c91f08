import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { columnarAxis, columnarTimes } from '../columnar.js';
import { resolutionFor, type ColumnarQuery, type ColumnarResult } from '../types.js';
import { readCut, type FoldState } from './fold.js';
import { seriesStatement } from './read-queries.js';
import { str } from './values.js';

/** At most this many answers' closed parts are kept by a store's {@link ColumnCache}. */
export const COLUMN_CACHE_ENTRIES = 32;
/** At most this many characters of values (about as many bytes) in a store's {@link ColumnCache}. */
export const COLUMN_CACHE_CHARS = 64 * 1024 * 1024;

/**
 * A value rounded as `roundTo()` rounds it: DuckDB's `round()` is half away from zero; `+ 0.0` turns -0 into
 * 0; with no decimals an integer, so that the JSON says `13` rather than `13.0`.
 */
const rounded = (digits: number) => (digits === 0 ? 'round(v)::HUGEINT' : `round(v, ${digits}) + 0.0`);

/**
 * History in columns in one statement: the series statement (one scan of the rollup that fits, or of raw)
 * joined onto every (asset, bucket) of the axis, and each asset's values gathered into a JSON array by
 * DuckDB (`to_json(list(… ORDER BY t))`, null where a bucket is empty). JavaScript handles one string per
 * asset, never a value. Answers every asset of `q`, once each.
 */
async function readOnce(conn: DuckDBConnection, q: ColumnarQuery, through: number): Promise<Map<string, string>> {
  const { sql: body, params, assets } = seriesStatement(q, through);
  const { first, stepMs, n } = columnarAxis(q);
  const byAsset = new Map<string, string>();
  if (n === 0) {
    for (const a of assets) byAsset.set(a, '[]');
    return byAsset;
  }
  const wanted = assets.map((_, i) => `($a${i})`).join(', ');
  const sql = `WITH b AS (${body})
    SELECT w.asset, to_json(list(${rounded(q.digits)} ORDER BY g.t)) AS vals
    FROM (VALUES ${wanted}) w(asset)
    CROSS JOIN range(${first}, ${first + n * stepMs}, ${stepMs}) g(t)
    LEFT JOIN b ON b.asset = w.asset AND b.t = g.t
    GROUP BY w.asset`;
  const reader = await conn.runAndReadAll(sql, params);
  const [assetCol = [], valuesCol = []] = reader.getColumns();
  for (let i = 0; i < assetCol.length; i++) byAsset.set(str(assetCol[i] as DuckDBValue), str(valuesCol[i] as DuckDBValue));
  return byAsset;
}

/**
 * The closed part of recent answers in columns, by query: the per-asset values of the buckets that end by
 * the read cut (see fold.ts). Those buckets are read from rollup rows (or raw before W) that only a late or
 * re-delivered point or a deletion changes, and each of those bumps the fold's revision, which is part of
 * the key; a fold changes nothing before the cut. So an entry is exact as long as it is found, and a
 * repeated question (a dashboard's whole-city week, asked by many) costs the buckets after the cut only.
 * Least recently used entries go first, beyond {@link COLUMN_CACHE_ENTRIES} or {@link COLUMN_CACHE_CHARS}.
 */
export class ColumnCache {
  private readonly entries = new Map<string, { values: Map<string, string>; chars: number }>();
  private chars = 0;

  constructor(private readonly maxEntries = COLUMN_CACHE_ENTRIES, private readonly maxChars = COLUMN_CACHE_CHARS) {}

  get(key: string): Map<string, string> | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.values;
  }

  set(key: string, values: Map<string, string>): void {
    let chars = 0;
    for (const v of values.values()) chars += v.length;
    if (chars > this.maxChars) return;
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.chars -= old.chars;
    }
    this.entries.set(key, { values, chars });
    this.chars += chars;
    for (const [k, e] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.chars <= this.maxChars) break;
      this.entries.delete(k);
      this.chars -= e.chars;
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

/** Two JSON arrays' texts as one. */
const joinArrays = (a: string, b: string): string => (a === '[]' ? b : b === '[]' ? a : `${a.slice(0, -1)},${b.slice(1)}`);

/**
 * History in columns: the buckets that end by the read cut (all but the newest few) from `cache` when it
 * holds them for this query and the fold's revision, else read and kept there; the rest read afresh.
 */
export async function readColumns(conn: DuckDBConnection, q: ColumnarQuery, fold: FoldState, cache?: ColumnCache): Promise<ColumnarResult> {
  // Both before the first statement: a change that commits meanwhile bumps the revision after it.
  const { through, revision } = fold;
  const { first, stepMs } = columnarAxis(q);
  const res = resolutionFor(q);
  const cut = readCut(through, res);
  // The end of the buckets that end by the cut; the range's own end when they all do.
  const edge = Math.min(q.to, Math.floor(cut / stepMs) * stepMs);
  let values: Map<string, string>;
  if (!cache || edge <= first) {
    values = await readOnce(conn, q, through);
  } else {
    const key = JSON.stringify([q.metric, q.agg, q.stepS, q.digits, q.from, edge, revision, [...new Set(q.assets)]]);
    let head = cache.get(key);
    if (!head) {
      head = await readOnce(conn, { ...q, to: edge }, through);
      cache.set(key, head);
    }
    if (edge === q.to) {
      values = head;
    } else {
      const tail = await readOnce(conn, { ...q, from: edge }, through);
      values = new Map([...head].map(([asset, h]) => [asset, joinArrays(h, tail.get(asset) ?? '[]')]));
    }
  }
  return { ts: columnarTimes(q), series: q.assets.map((asset) => ({ asset, values: values.get(asset) ?? '[]' })) };
}
