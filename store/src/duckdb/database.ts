import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { StoreError } from '../errors.js';
import { Pool, SerialQueue } from './concurrency.js';
import { DeadLetterTable } from './dead-letters.js';
import { loadFoldState, type FoldState } from './fold.js';
import { openError, openHereError, queryError } from './duckdb-errors.js';
import { buildAllRollups } from './rollups.js';
import { createStagingTables, createTables, migrate, SCHEMA_VERSION, schemaVersion } from './schema.js';

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

/**
 * DuckDB checkpoints on its own at a commit that finds the write-ahead log this large. Its default, 16 MB, is about
 * 300,000 rows: a flood of 20 devices sending back to back reached it every 2 s or so, and each checkpoint held that
 * commit 0.25–0.35 s. This bounds the log, and so what a restart after a crash replays.
 */
export const WAL_LIMIT = '128MB';
/** Rows written since the last checkpoint at which a store that fell idle checkpoints: about 16 MB of log. */
export const IDLE_CHECKPOINT_ROWS = 250_000;
/** No change for this long (ms) is idle: a flood's rounds follow each other closer than that, the live city's a second apart. */
export const IDLE_CHECKPOINT_MS = 250;

/** An open database: the instance, its one write connection and a pool of read connections. */
export interface Open {
  instance: DuckDBInstance;
  writer: DuckDBConnection;
  readers: Pool<DuckDBConnection>;
  deadLetters: DeadLetterTable;
  /** Where the rollups and `latest` stand (see fold.ts). */
  fold: FoldState;
  file: string | null;
  /** Rows written since the last checkpoint (as writes count them; see IDLE_CHECKPOINT_ROWS). */
  walRows: number;
}

/** DuckDB settings given when the instance is created (`threads`, `memory_limit`). */
export type Settings = Record<string, string>;

/** How far behind the wall clock the rollups are folded (ms; see fold.ts). */
export interface FoldTiming { delayMs: number }

async function openDatabase(path: string, readConnections: number, settings: Settings, timing: FoldTiming): Promise<Open> {
  const file = path === ':memory:' ? null : canonical(path);
  if (file !== null) {
    if (openFiles.has(file)) throw openHereError(path);
    openFiles.add(file);
  }
  let instance: DuckDBInstance | undefined;
  const conns: DuckDBConnection[] = [];
  try {
    instance = await DuckDBInstance.create(path, settings);
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
    const fold = await loadFoldState(writer, Date.now(), timing.delayMs);
    return { instance, writer, readers: new Pool(readers), deadLetters, fold, file, walRows: 0 };
  } catch (e) {
    for (const conn of conns) conn.closeSync();
    instance?.closeSync();
    if (file !== null) openFiles.delete(file);
    throw openError(path, e);
  }
}

/** The database behind the store: opened on first use, changes one at a time, reads side by side, closed once. */
export interface Database {
  /** Opens on first use; a failed open (say, a lock held elsewhere) is tried afresh next time. */
  ready: () => Promise<Open>;
  /** Runs a change in the write queue; one that was queued behind close() finds the store closed. */
  change: <T>(what: string, task: (db: Open) => Promise<T>) => Promise<T>;
  /** Runs a read on a connection of the read pool. */
  read: <T>(what: string, task: (conn: DuckDBConnection, db: Open) => Promise<T>) => Promise<T>;
  /** Lets writes already given finish, refuses later ones, and closes the file. */
  close: () => Promise<void>;
}

/**
 * Checkpoints once no change came for IDLE_CHECKPOINT_MS after IDLE_CHECKPOINT_ROWS were written, rather than at
 * whichever commit of a flood finds the log at DuckDB's threshold. A failed checkpoint leaves the log to replay; one
 * that invalidated the database fails the next change, and the store is reopened (reopen.ts).
 */
function idleCheckpoints(writes: SerialQueue, closed: () => boolean): { after: (db: Open) => void; stop: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    after(db) {
      if (db.walRows < IDLE_CHECKPOINT_ROWS) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        void writes.run(async () => {
          if (closed() || db.walRows < IDLE_CHECKPOINT_ROWS) return;
          await db.writer.run('CHECKPOINT');
          db.walRows = 0;
        }).catch(() => undefined);
      }, IDLE_CHECKPOINT_MS);
      timer.unref();
    },
    stop: () => clearTimeout(timer),
  };
}

/** The database at `path` (a file, or `':memory:'`), not opened until first used. */
export function database(path: string, readConnections: number, settings: Settings = {}, timing: FoldTiming = { delayMs: 120_000 }): Database {
  const writes = new SerialQueue();
  let opening: Promise<Open> | undefined;
  let closing: Promise<void> | undefined;
  let closed = false;
  const idle = idleCheckpoints(writes, () => closed);
  const closedError = () => new StoreError('STORE_FAILED', 'the DuckDB store is closed');

  function ready(): Promise<Open> {
    if (closing) return Promise.reject(closedError());
    opening ??= openDatabase(path, readConnections, settings, timing).catch((e: unknown) => {
      opening = undefined;
      throw e;
    });
    return opening;
  }

  async function change<T>(what: string, task: (db: Open) => Promise<T>): Promise<T> {
    const db = await ready();
    try {
      return await writes.run(() => (closed ? Promise.reject(closedError()) : task(db)));
    } catch (e) {
      throw queryError(what, e);
    } finally {
      idle.after(db);
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
    idle.stop();
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
    ready,
    change,
    read,
    close() {
      closing ??= shutdown();
      return closing;
    },
  };
}
