import { KINDS, type Kind } from '@cityhub/contracts';
import type { AlertEvent } from '@cityhub/contracts';
import type { DuckDBConnection } from '@duckdb/node-api';
import { StoreError } from '../errors.js';
import { checkColumnarQuery } from '../columnar.js';
import type { AlertEventQuery, ColumnarQuery, ColumnarResult, DeadLetter, DeadLetterQuery, LatestPoint, Point, Resolution, SeriesQuery, SeriesResult, Store } from '../types.js';
import { alertLimit, checkAlertEvents, checkBefore, checkDeadLetters, checkPoints, checkSeriesQuery, deadLetterLimit } from '../validate.js';
import { database, WAL_LIMIT, type Open } from './database.js';
import { ColumnCache, readColumns } from './columnar.js';
import { foldRollups, foldTarget } from './fold.js';
import { readLatest } from './latest.js';
import { readSeries } from './read-queries.js';
import { listAlertEvents, writeAlertEvents } from './alert-log.js';
import { ROLLUP_TABLES } from './schema.js';
import { writePoints } from './write-points.js';

/** Options of the DuckDB store. */
export interface DuckDbStoreOptions {
  /** The database file (created if missing), or `':memory:'` for a store that lives as long as the process. */
  path: string;
  /** Connections that serve reads side by side (default 2). Writes always use one connection of their own. */
  readConnections?: number;
  /**
   * DuckDB's worker threads, for every connection (default 1): a write is a few small statements whose cost
   * is mostly waking threads, and one thread measured 35–40 % less CPU per write (docs/design.md).
   */
  threads?: number;
  /** DuckDB's `memory_limit` in MiB (default 64): its buffer pool; larger work spills to disk. */
  memoryLimitMb?: number;
  /**
   * How far behind the wall clock rollups and `latest` are folded (ms, default 120000; see fold.ts): a point
   * older than that when it arrives is written with its rollups at once, a newer one only appended to raw.
   */
  rollupDelayMs?: number;
  /** How often a write also folds (ms, default 60000). */
  foldEveryMs?: number;
}

/** The options with their defaults, checked. */
function settle(opts: DuckDbStoreOptions): Required<Omit<DuckDbStoreOptions, 'path'>> {
  const o = {
    readConnections: opts.readConnections ?? 2, threads: opts.threads ?? 1, memoryLimitMb: opts.memoryLimitMb ?? 64,
    rollupDelayMs: opts.rollupDelayMs ?? 120_000, foldEveryMs: opts.foldEveryMs ?? 60_000,
  };
  for (const name of ['readConnections', 'threads', 'memoryLimitMb'] as const) {
    if (!Number.isSafeInteger(o[name]) || o[name] < 1) throw new StoreError('STORE_BAD_INPUT', `${name} must be a positive integer`);
  }
  for (const name of ['rollupDelayMs', 'foldEveryMs'] as const) {
    if (!Number.isSafeInteger(o[name]) || o[name] < 0) throw new StoreError('STORE_BAD_INPUT', `${name} must be a non-negative integer`);
  }
  return o;
}

/**
 * The settings the store's DuckDB instance is created with. Its allocator (jemalloc) returns freed pages to the
 * system only when the arena that freed them allocates again, and the threads that run its statements (libuv's
 * pool) take turns, so its background threads purge them: a hub holding 10,000 devices kept about 40 MB more a
 * minute into its writes without them (docs/design.md).
 */
export function instanceSettings(o: { threads: number; memoryLimitMb: number }): Record<string, string> {
  return { threads: String(o.threads), memory_limit: `${o.memoryLimitMb}MiB`, checkpoint_threshold: WAL_LIMIT, allocator_background_threads: 'true' };
}

/**
 * The embedded store: one DuckDB file, narrow tables (one row per metric value), written in batches
 * through the Appender. Writes run one at a time on their own connection; reads run on a small pool of
 * other connections and see only committed batches. One process per file (see STORE_LOCKED).
 */
export function createDuckDbStore(opts: DuckDbStoreOptions): Store {
  const { readConnections, threads, memoryLimitMb, rollupDelayMs: delayMs, foldEveryMs } = settle(opts);
  // The closed part of recent answers in columns (see ColumnCache): reopening the file starts it afresh.
  const columns = new ColumnCache();
  const { ready, change, read, close } = database(opts.path, readConnections, instanceSettings({ threads, memoryLimitMb }), { delayMs });
  return {
    name: 'duckdb',

    async init(): Promise<void> {
      await ready();
    },

    async write(points: readonly Point[]): Promise<void> {
      checkPoints(points);
      if (points.length === 0) return;
      await change('write', (db) => writeAndFold(db, points, delayMs, foldEveryMs));
    },

    async latest(kind: Kind): Promise<LatestPoint[]> {
      if (!(KINDS as readonly unknown[]).includes(kind)) {
        throw new StoreError('STORE_BAD_INPUT', `unknown kind ${JSON.stringify(kind)}`);
      }
      return read('latest', (conn, db) => readLatest(conn, kind, db.fold.through));
    },

    async series(q: SeriesQuery): Promise<SeriesResult[]> {
      checkSeriesQuery(q);
      return read('series', (conn, db) => readSeries(conn, q, db.fold.through));
    },

    async seriesColumns(q: ColumnarQuery): Promise<ColumnarResult> {
      checkColumnarQuery(q);
      return read('seriesColumns', (conn, db) => readColumns(conn, q, db.fold, columns));
    },

    async deleteBefore(before: number, resolution: Resolution = 'raw'): Promise<number | null> {
      checkBefore(before);
      const table = resolution === 'raw' ? 'raw' : ROLLUP_TABLES[resolution];
      if (!table) throw new StoreError('STORE_BAD_INPUT', `unknown resolution ${JSON.stringify(resolution)}`);
      return change('deleteBefore', (db) => deleteBefore(db, before, table));
    },

    async writeDeadLetters(rows: readonly DeadLetter[]): Promise<void> {
      checkDeadLetters(rows);
      if (rows.length === 0) return;
      await change('writeDeadLetters', (db) => db.deadLetters.write(db.writer, rows));
    },

    async deleteDeadLetters(ids: readonly string[]): Promise<number> {
      if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) throw new StoreError('STORE_BAD_INPUT', 'dead letter ids must be strings');
      if (ids.length === 0) return 0;
      return change('deleteDeadLetters', (db) => db.deadLetters.delete(db.writer, ids));
    },

    async writeAlertEvents(events: readonly AlertEvent[]): Promise<void> {
      checkAlertEvents(events);
      if (events.length === 0) return;
      await change('writeAlertEvents', (db) => writeAlertEvents(db.writer, events));
    },

    async listAlertEvents(q: AlertEventQuery): Promise<AlertEvent[]> {
      const limit = alertLimit(q);
      return read('listAlertEvents', (conn) => listAlertEvents(conn, q, limit));
    },

    async listDeadLetters(q: DeadLetterQuery): Promise<DeadLetter[]> {
      const limit = deadLetterLimit(q);
      return read('listDeadLetters', (conn, db) => db.deadLetters.list(conn, q, limit));
    },

    close,
  };
}

/** Writes a batch, then folds when the last fold is `foldEveryMs` old. */
async function writeAndFold(db: Open, points: readonly Point[], delayMs: number, foldEveryMs: number): Promise<void> {
  db.walRows += await writePoints(db.writer, points, db.fold);
  const now = Date.now();
  if (now - db.fold.foldedAt >= foldEveryMs) await foldRollups(db.writer, db.fold, foldTarget(now, delayMs), now);
}

/**
 * Deletes what is older than `before` from raw or a rollup table. What goes must have been folded first: raw
 * points into the rollups, and a rollup's buckets before `before` must be read from the table (now emptied
 * there), not recomputed from raw. Kept history in columns is stale afterwards (the fold's revision).
 */
async function deleteBefore({ writer, fold }: Open, before: number, table: string): Promise<number> {
  if (before > fold.through) await foldRollups(writer, fold, Math.ceil(before / 60_000) * 60_000, Date.now());
  try {
    if (table === 'raw') return await deleteRawBefore(writer, before);
    return (await writer.run(`DELETE FROM ${table} WHERE bucket < ${before}`)).rowsChanged;
  } finally {
    fold.revision++;
  }
}

/** Deletes raw points before `before`, and the latest readings that only they held, in one transaction. */
async function deleteRawBefore(writer: DuckDBConnection, before: number): Promise<number> {
  await writer.run('BEGIN TRANSACTION');
  try {
    const deleted = await writer.run(`DELETE FROM raw WHERE ts < ${before}`);
    // The newest reading of an asset is older than `before` only if all of its raw points were.
    await writer.run(`DELETE FROM latest WHERE ts < ${before}`);
    await writer.run('COMMIT');
    return deleted.rowsChanged;
  } catch (e) {
    await writer.run('ROLLBACK').catch(() => undefined);
    throw e;
  }
}
