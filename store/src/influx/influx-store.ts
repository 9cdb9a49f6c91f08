import { KINDS, type AlertEvent, type Kind } from '@cityhub/contracts';
import { SerialQueue } from '../duckdb/concurrency.js';
import { StoreError } from '../errors.js';
import type { AlertEventQuery, DeadLetter, DeadLetterQuery, LatestPoint, Point, Resolution, SeriesQuery, SeriesResult, Store } from '../types.js';
import { ROLLUPS } from '../types.js';
import { alertLimit, checkAlertEvents, checkBefore, checkDeadLetters, checkPoints, checkSeriesQuery, deadLetterLimit } from '../validate.js';
import { alertEventWrites, listAlertEvents } from './alert-log.js';
import { deadLetterPoints, deadLetterWrites, listDeadLetters } from './dead-letters.js';
import { deleteRanges, type DeleteRange } from './deletes.js';
import { detectServer, type ServerInfo } from './detect.js';
import { authorization, query, type Connection, type Series } from './http.js';
import { ident } from './influxql.js';
import { latestFrom, latestStatement } from './latest.js';
import { v1Writer, v2Writer, type LineWriter } from './line-writer.js';
import { checkPointsForInflux, pointLine } from './line-protocol.js';
import { readSeries } from './read-series.js';
import { rollupLines } from './rollups.js';
import { RollupSettler } from './settle.js';
import { measurement } from './schema.js';

/** Options of the InfluxDB store. */
export interface InfluxStoreOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:8086`. */
  url: string;
  /** API token (2.x, 3.x; on 1.8 with authentication, `user:password`). Sent as `Authorization: Token …`. */
  token?: string;
  /** 1.x user, sent with `password` as HTTP basic auth (ignored when a token is given). */
  username?: string;
  password?: string;
  /** Organisation, for `/api/v2/write` on 2.x (1.8 ignores it). */
  org?: string;
  /**
   * Where the data goes: the 2.x/3.x bucket, or on 1.x `database` or `database/retention-policy`. On 2.x
   * queries go through the v1 API, which finds the bucket through a DBRP mapping of this name (README).
   */
  bucket: string;
  /** Most lines per write request (default 10,000); a larger write call sends several, one after another. */
  batchSize?: number;
  /** Gzip write bodies (default false: on loopback it costs more CPU than it saves). */
  gzip?: boolean;
  /** Timeout of each request in ms (default 30,000). A timeout is STORE_UNAVAILABLE. */
  timeoutMs?: number;
  /**
   * When several processes write this InfluxDB, rebuild the rollup buckets a write touched once more this
   * many ms later (see `RollupSettler`); 0, the default, for a single writer.
   */
  settleMs?: number;
}

/** The InfluxDB store: a Store that can also say what it found the server to be. */
export interface InfluxStore extends Store {
  /** What `init()` learnt of the server (undefined before). */
  serverInfo(): ServerInfo | undefined;
}

interface Ready {
  info: ServerInfo;
  writer: LineWriter;
}

/**
 * The store for cities that run InfluxDB (DESIGN.md, "Storage"). Writes are line protocol, through
 * `@influxdata/influxdb-client`'s WriteApi where the server has `/api/v2/write` (1.8+, 2.x, 3.x) and
 * through `/write` where it has not (1.x before 1.8), found out at `init()`; reads are InfluxQL over
 * `/query`, which every generation serves. Each write is confirmed by the server before `write()`
 * resolves; nothing is buffered or retried here (the hub's writer retries, keeping unconfirmed readings
 * in its spool). Writes and deletes run one at a time, because a write also rebuilds the rollup buckets
 * it touched from what is stored: two at once could each rebuild a bucket without the other's points.
 *
 * On InfluxDB 2.x the v1 query API needs a DBRP mapping from the bucket name to the bucket:
 * `influx v1 dbrp create --db <bucket> --rp autogen --bucket-id <bucket id> --default`; `init()` creates
 * the database only on 1.x (`CREATE DATABASE`), never a 2.x bucket.
 */
export function createInfluxStore(opts: InfluxStoreOptions): InfluxStore {
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

  /** Probes the server on first use; a failed probe (server down) is tried afresh next time. */
  function ready(): Promise<Ready> {
    if (closed) return Promise.reject(closedError());
    opening ??= open().catch((e: unknown) => {
      opening = undefined;
      throw e;
    });
    return opening;
  }

  /** Deletes ranges in the dialect of the server found. */
  const remove = (r: Ready, ranges: readonly DeleteRange[]) =>
    deleteRanges(conn, ranges, { major: r.info.major, org: opts.org ?? '', bucket: opts.bucket });

  /** Runs a change in the queue; one queued behind close() finds the store closed. */
  async function change<T>(task: (r: Ready) => Promise<T>): Promise<T> {
    const r = await ready();
    return changes.run(() => (closed ? Promise.reject(closedError()) : task(r)));
  }

  const settler = opts.settleMs
    ? new RollupSettler(opts.settleMs, (points) => change(async ({ writer }) => { await writer.write(await rollupLines(points, run), 'ms'); }))
    : undefined;

  return {
    name: 'influxdb',

    serverInfo: () => info,

    async init(): Promise<void> {
      await ready();
    },

    async write(points: readonly Point[]): Promise<void> {
      checkPoints(points);
      checkPointsForInflux(points);
      if (points.length === 0) return;
      await change(async ({ writer }) => {
        await writer.write(points.map(pointLine), 'ms');
        await writer.write(await rollupLines(points, run), 'ms');
      });
      settler?.add(points);
    },

    async latest(kind: Kind): Promise<LatestPoint[]> {
      if (!(KINDS as readonly unknown[]).includes(kind)) throw new StoreError('STORE_BAD_INPUT', `unknown kind ${JSON.stringify(kind)}`);
      await ready();
      const [series = []] = await run([latestStatement(kind)]);
      return latestFrom(kind, series);
    },

    async series(q: SeriesQuery): Promise<SeriesResult[]> {
      checkSeriesQuery(q);
      await ready();
      return readSeries(q, run);
    },

    async deleteBefore(before: number, resolution: Resolution = 'raw'): Promise<number | null> {
      checkBefore(before);
      if (resolution !== 'raw' && !ROLLUPS.some((r) => r.name === resolution)) {
        throw new StoreError('STORE_BAD_INPUT', `unknown resolution ${JSON.stringify(resolution)}`);
      }
      // Only the measurements of that resolution: dead letters and the other resolutions stay.
      const ranges = KINDS.map((k) => ({ measurement: measurement(k, resolution), toNs: BigInt(before) * 1_000_000n }));
      await change((r) => remove(r, ranges));
      // InfluxDB does not say how many points a delete removed.
      return null;
    },

    async writeDeadLetters(rows: readonly DeadLetter[]): Promise<void> {
      checkDeadLetters(rows);
      if (rows.length === 0) return;
      await change(async (r) => {
        const { lines, deletes } = await deadLetterWrites(rows, run);
        await remove(r, deletes);
        await r.writer.write(lines, 'ns');
      });
    },

    async listDeadLetters(q: DeadLetterQuery): Promise<DeadLetter[]> {
      const limit = deadLetterLimit(q);
      await ready();
      return listDeadLetters(q, limit, run);
    },

    async deleteDeadLetters(ids: readonly string[]): Promise<number> {
      if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) throw new StoreError('STORE_BAD_INPUT', 'dead letter ids must be strings');
      if (ids.length === 0) return 0;
      return change(async (r) => {
        const points = await deadLetterPoints(ids, run);
        await remove(r, points);
        return points.length;
      });
    },

    async writeAlertEvents(events: readonly AlertEvent[]): Promise<void> {
      checkAlertEvents(events);
      if (events.length === 0) return;
      await change(async (r) => {
        const { lines, deletes } = await alertEventWrites(events, run);
        await remove(r, deletes);
        await r.writer.write(lines, 'ns');
      });
    },

    async listAlertEvents(q: AlertEventQuery): Promise<AlertEvent[]> {
      const limit = alertLimit(q);
      await ready();
      return listAlertEvents(q, limit, run);
    },

    async close(): Promise<void> {
      if (closed) return changes.idle();
      await settler?.close();
      closed = true;
      // Writes already given finish; later calls find the store closed.
      await changes.idle();
    },
  };
}
