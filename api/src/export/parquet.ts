import { join } from 'node:path';
import { DuckDBInstance, DuckDBTimestampTZValue } from '@duckdb/node-api';
import type { ExportLicence } from '@cityhub/contracts';
import { ATTRIBUTE_COLUMNS, type AssetInfo, type ColumnType } from './columns.js';
import type { ExportPlan } from './plan.js';
import type { Row } from './read.js';

/** A SQL string literal. */
const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;
/** A SQL identifier. */
const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;

/** Rows appended between flushes of the appender into the table (which DuckDB may spill to disk). */
const FLUSH_EVERY = 100_000;

/** A SQL list literal of one attribute of every asset, typed, indexed by the asset's position (from 1). */
function attributeList(values: ReadonlyArray<string | number | boolean | null>, type: ColumnType): string {
  const item = (v: string | number | boolean | null) => (v === null ? 'NULL' : type === 'VARCHAR' ? lit(String(v)) : String(v));
  return `([${values.map(item).join(', ')}]::${type}[])`;
}

/**
 * Writes an export as a Parquet file through DuckDB's own writer. The buckets go through the Appender into a
 * narrow table (asset index, time, metrics) of a temporary DuckDB file in `dir`, its memory capped (DuckDB
 * spills to `dir`); `COPY … (FORMAT parquet, KV_METADATA …)` then writes `file`, taking each asset attribute
 * from a list by the row's asset index, so that attributes are not appended again for every row and the
 * rows keep the order they were appended in (time, then catalogue order: the CSV's), with no join or sort.
 * Licence, attribution and what the export is go in the file's key-value metadata. Snappy, not ZSTD: every
 * Parquet reader decodes Snappy, while several (hyparquet, older Arrow and Spark builds) need a plug-in for ZSTD.
 * Returns the rows written.
 */
export async function writeParquet(
  plan: ExportPlan, assets: readonly AssetInfo[], batches: AsyncIterable<Row[]>,
  meta: { licence: ExportLicence; attribution: string }, dir: string, file: string,
): Promise<number> {
  const db = await DuckDBInstance.create(join(dir, 'export.duckdb'), { memory_limit: '64MB', threads: '1', temp_directory: join(dir, 'spill') });
  const conn = await db.connect();
  try {
    await conn.run(`CREATE TABLE buckets (i INTEGER, bucket_start TIMESTAMPTZ, ${plan.metrics.map((m) => `${ident(m)} DOUBLE`).join(', ')})`);
    const app = await conn.createAppender('buckets');
    let rows = 0;
    try {
      for await (const batch of batches) {
        for (const r of batch) {
          app.appendInteger(r.asset + 1);
          app.appendTimestampTZ(new DuckDBTimestampTZValue(BigInt(r.ts) * 1000n));
          for (const v of r.values) {
            if (v === null) app.appendNull();
            else app.appendDouble(v);
          }
          app.endRow();
          if (++rows % FLUSH_EVERY === 0) app.flushSync();
        }
      }
    } finally {
      app.closeSync();
    }
    const attrs = ATTRIBUTE_COLUMNS[plan.kind];
    const perAsset: Array<[name: string, type: ColumnType, values: Array<string | number | boolean | null>]> = [
      ['asset', 'VARCHAR', assets.map((a) => a.id)],
      ['name', 'VARCHAR', assets.map((a) => a.name)],
      ...attrs.map((c, k): [string, ColumnType, Array<string | number | boolean | null>] => [c.name, c.type, assets.map((a) => a.attributes[k] ?? null)]),
      ['asset_simulated', 'BOOLEAN', assets.map((a) => a.assetSimulated)],
      ['readings_simulated', 'BOOLEAN', assets.map((a) => a.readingsSimulated)],
    ];
    const select = ['bucket_start', ...perAsset.map(([name, type, values]) => `${attributeList(values, type)}[i] AS ${ident(name)}`), ...plan.metrics.map(ident)];
    const kv: Record<string, string> = {
      licence: meta.licence.name, licence_url: meta.licence.url, attribution: meta.attribution,
      kind: plan.kind, from: new Date(plan.from).toISOString(), to: new Date(plan.to).toISOString(),
      step_s: String(plan.stepS), agg: plan.agg, tz: plan.tz, generator: 'City Hub',
    };
    const kvSql = Object.entries(kv).map(([k, v]) => `${lit(k)}: ${lit(v)}`).join(', ');
    // DuckDB keeps the insertion order of a plain projection (preserve_insertion_order is on by default).
    await conn.run(`COPY (SELECT ${select.join(', ')} FROM buckets) TO ${lit(file)} (FORMAT parquet, COMPRESSION snappy, KV_METADATA { ${kvSql} })`);
    return rows;
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}
