import { SerialQueue } from '../duckdb/concurrency.js';
import { StoreError } from '../errors.js';
import type { Point } from '../types.js';
import { deleteRanges, type DeleteRange } from './deletes.js';
import { detectServer, type ServerInfo } from './detect.js';
import { authorization, query, type Connection, type Series } from './http.js';
import type { InfluxStoreOptions } from './options.js';
import { ident } from './influxql.js';
import { v1Writer, v2Writer, type LineWriter } from './line-writer.js';
import { rollupLines } from './rollups.js';
import { RollupSettler } from './settle.js';

/** The server as found at first use, and the writer that suits it. */
export interface Ready {
  info: ServerInfo;
  writer: LineWriter;
}

/** The checked options: where the server is, how to reach it, and how many lines go in one request. */
export function connectionOf(opts: InfluxStoreOptions): { conn: Connection; batchSize: number } {
  const batchSize = opts.batchSize ?? 10_000;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new StoreError('STORE_BAD_INPUT', 'batchSize must be a positive integer');
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) throw new StoreError('STORE_BAD_INPUT', 'timeoutMs must be a positive integer of ms');
  if (opts.settleMs !== undefined && !(Number.isSafeInteger(opts.settleMs) && opts.settleMs >= 0)) throw new StoreError('STORE_BAD_INPUT', 'settleMs must be a whole number of ms, 0 or more');
  if (!opts.bucket) throw new StoreError('STORE_BAD_INPUT', 'bucket (the database on InfluxDB 1.x) must be named');
  let url: URL;
  try {
    url = new URL(opts.url);
  } catch {
    throw new StoreError('STORE_BAD_INPUT', `INFLUX_URL ${JSON.stringify(opts.url)} is not a URL`);
  }
  const slash = opts.bucket.indexOf('/');
  const conn: Connection = {
    url: url.href.replace(/\/+$/, ''),
    db: slash < 0 ? opts.bucket : opts.bucket.slice(0, slash),
    rp: slash < 0 ? undefined : opts.bucket.slice(slash + 1),
    authorization: authorization(opts),
    timeoutMs,
    gzip: opts.gzip ?? false,
  };
  return { conn, batchSize };
}

/** The server behind the store: probed on first use, changed one at a time, closed once. */
export interface Session {
  /** Runs InfluxQL statements over `/query`. */
  run: (statements: string[]) => Promise<Series[][]>;
  /** Probes the server on first use; a failed probe (server down) is tried afresh next time. */
  ready: () => Promise<Ready>;
  /** Runs a change in the queue; one queued behind close() finds the store closed. */
  change: <T>(task: (r: Ready) => Promise<T>) => Promise<T>;
  /** Deletes ranges in the dialect of the server found. */
  remove: (r: Ready, ranges: readonly DeleteRange[]) => Promise<void>;
  /** Notes the points of a write, when rollups are settled again later (`settleMs`). */
  settle: (points: readonly Point[]) => void;
  /** What `ready()` learnt of the server (undefined before). */
  info: () => ServerInfo | undefined;
  /** Lets changes already given finish; later calls find the store closed. */
  close: () => Promise<void>;
}

/** A session with the server at `conn`, not probed until first used. */
export function session(conn: Connection, opts: InfluxStoreOptions, batchSize: number): Session {
  const run = (statements: string[]): Promise<Series[][]> => query(conn, 'query', statements);
  const changes = new SerialQueue();
  let opening: Promise<Ready> | undefined;
  let info: ServerInfo | undefined;
  let closed = false;
  const closedError = () => new StoreError('STORE_FAILED', 'the InfluxDB store is closed');

  async function open(): Promise<Ready> {
    const found = await detectServer(conn);
    // Only 1.x before 1.8 lacks /api/v2/write, so a server that hides its version but has no such endpoint is 1.x too.
    if (found.major === 1 || (found.major === undefined && found.writeApi === '/write')) {
      // 1.x makes databases on request (idempotent). A user without admin rights is refused (403), which
      // is fine when the database is there already: a write says so clearly if it is not. Wrong
      // credentials (401) fail here, at start.
      await query(conn, 'query', [`CREATE DATABASE ${ident(conn.db)}`]).catch((e: unknown) => {
        if (!(e instanceof StoreError && /HTTP 403|requires admin/.test(e.message))) throw e;
      });
    }
    info = found;
    const token = opts.token ?? (opts.username !== undefined ? `${opts.username}:${opts.password ?? ''}` : undefined);
    const writer = found.writeApi === '/api/v2/write'
      ? v2Writer(conn, { org: opts.org ?? '', bucket: opts.bucket, token, batchSize })
      : v1Writer(conn, batchSize);
    return { info: found, writer };
  }

  function ready(): Promise<Ready> {
    if (closed) return Promise.reject(closedError());
    opening ??= open().catch((e: unknown) => {
      opening = undefined;
      throw e;
    });
    return opening;
  }

  const remove = (r: Ready, ranges: readonly DeleteRange[]) =>
    deleteRanges(conn, ranges, { major: r.info.major, org: opts.org ?? '', bucket: opts.bucket });

  async function change<T>(task: (r: Ready) => Promise<T>): Promise<T> {
    const r = await ready();
    return changes.run(() => (closed ? Promise.reject(closedError()) : task(r)));
  }

  const settler = opts.settleMs
    ? new RollupSettler(opts.settleMs, (points) => change(async ({ writer }) => { await writer.write(await rollupLines(points, run), 'ms'); }))
    : undefined;

  return {
    run,
    ready,
    change,
    remove,
    settle: (points) => settler?.add(points),
    info: () => info,
    async close() {
      if (closed) return changes.idle();
      await settler?.close();
      closed = true;
      // Writes already given finish; later calls find the store closed.
      await changes.idle();
    },
  };
}
