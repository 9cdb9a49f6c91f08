import type { DuckDBConnection } from '@duckdb/node-api';
import { ROLLUPS, type Resolution } from '../types.js';
import { ROLLUP_TABLES } from './schema.js';
import { updateLatest } from './latest.js';

const MINUTE = 60_000;
const KEY = 'kind, asset, device, metric';

/**
 * Rollups and `latest` are folded behind the live edge rather than on every write. `through` (W, a whole
 * minute) splits the points: every raw point before W is reflected in the rollup tables and in `latest`;
 * points at or after W are in raw only, and reads take them from raw (see `readCut` and `readLatest`), as
 * TimescaleDB's real-time aggregates read the newest buckets from the hypertable. So a live write is an
 * append to raw and nothing else, and the rollup upkeep runs once a minute over a minute of points.
 *
 * W moves forward in `foldRollups`, in one transaction with the rollups and `latest` it brings up to date,
 * and is kept in `meta`: after a crash the next fold rebuilds from raw whatever was not folded, so a crash
 * in the middle of a bucket loses nothing. A point older than W (a late or re-delivered reading) is written
 * as before, with its rollup buckets and `latest` in the same transaction.
 */
export interface FoldState {
  /** W, epoch ms, a whole minute. */
  through: number;
  /** Per series (kind, asset, device), the newest ts in raw at or after W: a newer point cannot collide with a stored key. */
  newest: Map<string, number>;
  /** When the last fold ran (epoch ms, wall clock). */
  foldedAt: number;
  /**
   * Bumped after every committed change to data before W other than a fold (a late or re-delivered point,
   * a deletion): what was read of buckets that end by the cut stays true while it and W's cut are unchanged
   * (see ColumnCache in columnar.ts). A fold leaves the buckets before the cut as they were.
   */
  revision: number;
}

/** The key of a series in {@link FoldState.newest}. */
export const seriesKey = (kind: string, asset: string, device: string): string => `${kind}\u0000${asset}\u0000${device}`;

/** How far W may go at `now`: the whole minute `delayMs` before it (points arriving later than that are late). */
export const foldTarget = (now: number, delayMs: number): number => Math.floor((now - delayMs) / MINUTE) * MINUTE;

/**
 * Reads W from `meta` (a file without one starts at `foldTarget(now)`: everything in it was reflected by the
 * writer of before) and the newest ts of each series at or after it.
 */
export async function loadFoldState(conn: DuckDBConnection, now: number, delayMs: number): Promise<FoldState> {
  const row = (await conn.runAndReadAll("SELECT value FROM meta WHERE key = 'rollups_through'")).getRows()[0]?.[0];
  let through = typeof row === 'string' ? Number(row) : NaN;
  if (!Number.isSafeInteger(through)) {
    through = foldTarget(now, delayMs);
    await conn.run(`INSERT OR REPLACE INTO meta VALUES ('rollups_through', '${through}')`);
  }
  const newest = new Map<string, number>();
  const reader = await conn.runAndReadAll(`SELECT kind, asset, device, max(ts) FROM raw WHERE ts >= ${through} GROUP BY ALL`);
  for (const [kind, asset, device, ts] of reader.getRows()) newest.set(seriesKey(String(kind), String(asset), String(device)), Number(ts));
  return { through, newest, foldedAt: now, revision: 0 };
}

/**
 * Moves W to `to` (a whole minute): brings `latest` and every rollup bucket that [W, to) completes up to date
 * from raw, in one transaction. A coarse bucket that `to` cuts is left for the fold that passes its end: reads
 * never use it before (`readCut`), and building it at each minute's fold rewrote every series' 15 min and 1 h rows
 * once a minute, which DuckDB keeps uncompressed until the next checkpoint (about 9 MB a table at 10,000 devices).
 */
export async function foldRollups(conn: DuckDBConnection, state: FoldState, to: number, now: number): Promise<void> {
  const from = state.through;
  state.foldedAt = now;
  if (to <= from) return;
  await conn.run('BEGIN TRANSACTION');
  try {
    await updateLatest(conn, `(SELECT kind, asset, device, ts FROM raw WHERE ts >= ${from} AND ts < ${to})`, `r.ts >= ${from} AND r.ts < ${to}`);
    let source = 'raw';
    for (const r of ROLLUPS) {
      const table = ROLLUP_TABLES[r.name];
      const lo = Math.floor(from / r.ms) * r.ms;
      // The buckets [lo, hi) end by `to`: their finer rows are all folded.
      const hi = Math.floor(to / r.ms) * r.ms;
      if (hi > lo) {
        await conn.run(`DELETE FROM ${table} WHERE bucket >= ${lo} AND bucket < ${hi}`);
        await conn.run(source === 'raw'
          ? `INSERT INTO ${table} SELECT ${KEY}, (ts // ${r.ms}) * ${r.ms} AS b, count(*), sum(value), min(value), max(value),
               arg_max(value, ts), max(ts) FROM raw WHERE ts >= ${lo} AND ts < ${hi} GROUP BY ${KEY}, b`
          : `INSERT INTO ${table} SELECT ${KEY}, (bucket // ${r.ms}) * ${r.ms} AS b, sum(count), sum(sum), min(min), max(max),
               arg_max(last, last_ts), max(last_ts) FROM ${source} WHERE bucket >= ${lo} AND bucket < ${hi} GROUP BY ${KEY}, b`);
      }
      source = table;
    }
    await conn.run(`INSERT OR REPLACE INTO meta VALUES ('rollups_through', '${to}')`);
    await conn.run('COMMIT');
  } catch (e) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw e;
  }
  state.through = to;
  for (const [key, ts] of state.newest) if (ts < to) state.newest.delete(key);
}

/**
 * Where a read at resolution `res` stops using rollup rows and aggregates raw instead: the start of the
 * bucket W falls in, since that bucket is not complete in the rollup table (W itself for raw).
 */
export function readCut(through: number, res: Resolution): number {
  if (res === 'raw') return through;
  const ms = ROLLUPS.find((r) => r.name === res)!.ms;
  return Math.floor(through / ms) * ms;
}
