import { KINDS, type AlertEvent, type Kind } from '@cityhub/contracts';
import { StoreError } from '../errors.js';
import { checkColumnarQuery, columnsFromSeries } from '../columnar.js';
import type { AlertEventQuery, ColumnarQuery, ColumnarResult, DeadLetter, DeadLetterQuery, LatestPoint, Point, Resolution, SeriesQuery, SeriesResult, Store } from '../types.js';
import { ROLLUPS } from '../types.js';
import { alertLimit, checkAlertEvents, checkBefore, checkDeadLetters, checkPoints, checkSeriesQuery, deadLetterLimit } from '../validate.js';
import { alertEventWrites, listAlertEvents } from './alert-log.js';
import { deadLetterPoints, deadLetterWrites, listDeadLetters } from './dead-letters.js';
import type { ServerInfo } from './detect.js';
import { latestFrom, latestStatement } from './latest.js';
import { checkPointsForInflux, pointLine } from './line-protocol.js';
import { readSeries } from './read-series.js';
import { rollupLines } from './rollups.js';
import { measurement } from './schema.js';
import { connectionOf, session, type Session } from './session.js';
import type { InfluxStoreOptions } from './options.js';

export type { InfluxStoreOptions } from './options.js';


/** The InfluxDB store: a Store that can also say what it found the server to be. */
export interface InfluxStore extends Store {
  /** What `init()` learnt of the server (undefined before). */
  serverInfo(): ServerInfo | undefined;
}

/**
 * The store for cities that run InfluxDB (docs/design.md, "Storage"). Writes are line protocol, through
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
  const { conn, batchSize } = connectionOf(opts);
  const s = session(conn, opts, batchSize);
  const { run, ready, change, remove, settle, info, close } = s;
  return {
    name: 'influxdb',

    serverInfo: info,

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
      settle(points);
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

    /** In columns from the series answer: InfluxQL has no arrays to build them in, so they are filled here. */
    async seriesColumns(q: ColumnarQuery): Promise<ColumnarResult> {
      checkColumnarQuery(q);
      await ready();
      return columnsFromSeries(await readSeries(q, run), q);
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

    ...records(s),
    close,
  };
}

/** Dead letters and the alert log: changes that replace what they rewrite, and reads. */
function records({ run, ready, change, remove }: Session): Pick<Store, 'writeDeadLetters' | 'listDeadLetters' | 'deleteDeadLetters' | 'writeAlertEvents' | 'listAlertEvents'> {
  return {
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
  };
}
