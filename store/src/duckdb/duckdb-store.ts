import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { KINDS, type Kind } from '@cityhub/contracts';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { StoreError } from '../errors.js';
import type { AlertEventQuery, DeadLetter, DeadLetterQuery, LatestPoint, Point, Resolution, SeriesQuery, SeriesResult, Store } from '../types.js';
import type { AlertEvent } from '@cityhub/contracts';
import { alertLimit, checkAlertEvents, checkBefore, checkDeadLetters, checkPoints, checkSeriesQuery, deadLetterLimit } from '../validate.js';
import { Pool, SerialQueue } from './concurrency.js';
import { DeadLetterTable } from './dead-letters.js';
import { openError, openHereError, queryError } from './duckdb-errors.js';
import { readLatest, readSeries } from './read-queries.js';
import { listAlertEvents, writeAlertEvents } from './alert-log.js';
import { buildAllRollups } from './rollups.js';
import { createStagingTables, createTables, migrate, ROLLUP_TABLES, SCHEMA_VERSION, schemaVersion } from './schema.js';
import { writePoints } from './write-points.js';

/** Options of the DuckDB store. */
export interface DuckDbStoreOptions {
  /** The database file (created if missing), or `':memory:'` for a store that lives as long as the process. */
  path: string;
  /** Connections that serve reads side by side (default 2). Writes always use one connection of their own. */
  readConnections?: number;
}

/**
 * Files this process has open. DuckDB's lock only keeps *other* processes out: a second instance on the
 * same file in this process would open without complaint and corrupt it, so the store refuses it here.
 */
const openFiles = new Set<string>();

/** An absolute name for the file that does not depend on how the path was spelt (symlinks, `..`). */
function canonical(path: string): string {
  const dir = dirname(resolve(path));
  return join(existsSync(dir) ? realpathSync(dir) : dir, basename(path));
}

interface Open {
  instance: DuckDBInstance;
  writer: DuckDBConnection;
  readers: Pool<DuckDBConnection>;
  deadLetters: DeadLetterTable;
  file: string | null;
}

async function openDatabase(path: string, readConnections: number): Promise<Open> {
  const file = path === ':memory:' ? null : canonical(path);
  if (file !== null) {
    if (openFiles.has(file)) throw openHereError(path);
    openFiles.add(file);
  }
  let instance: DuckDBInstance | undefined;
  const conns: DuckDBConnection[] = [];
  try {
    instance = await DuckDBInstance.create(path);
    for (let i = 0; i <= readConnections; i++) conns.push(await instance.connect());
    const [writer, ...readers] = conns as [DuckDBConnection, ...DuckDBConnection[]];
    await createTables(writer);
    const version = await schemaVersion(writer);
    if (version !== null && version < SCHEMA_VERSION) await migrate(writer, version, buildAllRollups);
    if (version !== null && version > SCHEMA_VERSION) {
      throw new StoreError('STORE_FAILED', `${path} has schema version ${version}, newer than this City Hub knows (${SCHEMA_VERSION}): upgrade City Hub`);
    }
    await createStagingTables(writer);
    const deadLetters = await DeadLetterTable.open(writer);
    return { instance, writer, readers: new Pool(readers), deadLetters, file };
  } catch (e) {
    for (const conn of conns) conn.closeSync();
    instance?.closeSync();
    if (file !== null) openFiles.delete(file);
    throw openError(path, e);
  }
}

/**
 * The embedded store: one DuckDB file, narrow tables (one row per metric value), written in batches
 * through the Appender. Writes run one at a time on their own connection; reads run on a small pool of
 * other connections and see only committed batches. One process per file (see STORE_LOCKED).
 */
export function createDuckDbStore(opts: DuckDbStoreOptions): Store {
  const readConnections = opts.readConnections ?? 2;
  if (!Number.isSafeInteger(readConnections) || readConnections < 1) {
    throw new StoreError('STORE_BAD_INPUT', 'readConnections must be a positive integer');
  }
  const writes = new SerialQueue();
  let opening: Promise<Open> | undefined;
  let closing: Promise<void> | undefined;
  let closed = false;
  const closedError = () => new StoreError('STORE_FAILED', 'the DuckDB store is closed');

  /** Opens on first use; a failed open (say, a lock held elsewhere) is tried afresh next time. */
  function ready(): Promise<Open> {
    if (closing) return Promise.reject(closedError());
    opening ??= openDatabase(opts.path, readConnections).catch((e: unknown) => {
      opening = undefined;
      throw e;
    });
    return opening;
  }

  /** Runs a change in the write queue; one that was queued behind close() finds the store closed. */
  async function change<T>(what: string, task: (db: Open) => Promise<T>): Promise<T> {
    const db = await ready();
    try {
      return await writes.run(() => (closed ? Promise.reject(closedError()) : task(db)));
    } catch (e) {
      throw queryError(what, e);
    }
  }

  async function read<T>(what: string, task: (conn: DuckDBConnection, db: Open) => Promise<T>): Promise<T> {
    const db = await ready();
    try {
      // Once close() has begun, the pool refuses newcomers and waits for the reads it already took.
      return await db.readers.use((conn) => task(conn, db));
    } catch (e) {
      throw queryError(what, e);
    }
  }

  async function shutdown(): Promise<void> {
    const db = await opening?.catch(() => undefined);
    if (!db) return;
    // Through the write queue, so that writes already given finish first and later ones are refused.
    await writes.run(async () => {
      closed = true;
      const readers = await db.readers.drain(closedError);
      try {
        // A checkpoint folds the write-ahead log into the file, so that the next open need not replay it.
        await db.writer.run('CHECKPOINT').catch(() => undefined);
        for (const conn of [...readers, db.writer]) conn.closeSync();
        db.instance.closeSync();
      } finally {
        if (db.file !== null) openFiles.delete(db.file);
      }
    });
  }

  return {
    name: 'duckdb',

    async init(): Promise<void> {
      await ready();
    },

    async write(points: readonly Point[]): Promise<void> {
      checkPoints(points);
      if (points.length === 0) return;
      await change('write', (db) => writePoints(db.writer, points));
    },

    async latest(kind: Kind): Promise<LatestPoint[]> {
      if (!(KINDS as readonly unknown[]).includes(kind)) {
        throw new StoreError('STORE_BAD_INPUT', `unknown kind ${JSON.stringify(kind)}`);
      }
      return read('latest', (conn) => readLatest(conn, kind));
    },

    async series(q: SeriesQuery): Promise<SeriesResult[]> {
      checkSeriesQuery(q);
      return read('series', (conn) => readSeries(conn, q));
    },

    async deleteBefore(before: number, resolution: Resolution = 'raw'): Promise<number | null> {
      checkBefore(before);
      if (resolution !== 'raw') {
        const table = ROLLUP_TABLES[resolution];
        if (!table) throw new StoreError('STORE_BAD_INPUT', `unknown resolution ${JSON.stringify(resolution)}`);
        return change('deleteBefore', async ({ writer }) => (await writer.run(`DELETE FROM ${table} WHERE bucket < ${before}`)).rowsChanged);
      }
      return change('deleteBefore', async ({ writer }) => {
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
      });
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

    close(): Promise<void> {
      closing ??= shutdown();
      return closing;
    },
  };
}
