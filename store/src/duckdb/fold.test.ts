import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expected, rng } from '../../testing/cases-rollups.js';
import { HOUR, MIN, parsed, T0, pt } from '../../testing/kit.js';
import { columnsFromSeries } from '../columnar.js';
import type { Point, Store } from '../types.js';
import { createDuckDbStore } from './duckdb-store.js';

/** A store on `file` whose fold target (W's limit) is `edge`: the wall clock minus a delay that lands there. */
const storeWithEdge = (file: string, edge: number, foldEveryMs = 0): Store =>
  createDuckDbStore({ path: file, rollupDelayMs: Date.now() - edge, foldEveryMs });

/** Six hours of random, out-of-order, partly re-written points of three assets from two devices. */
function randomPoints(): Point[] {
  const next = rng(20261205);
  const all: Point[] = [];
  for (let i = 0; i < 3_000; i++) {
    const asset = `L${1 + Math.floor(next() * 3)}`;
    const device = next() < 0.8 ? 'd1' : 'd2';
    const ts = T0 + (next() < 0.1 ? Math.floor(next() * 24) * 15 * MIN : Math.floor(next() * 6 * HOUR));
    all.push(pt(asset, device, ts, { speed_kmh: Math.round(next() * 10_000) / 100 }));
  }
  return all;
}

describe('DuckDB rollups folded behind the live edge', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cityhub-fold-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  async function check(store: Store, finals: Map<string, [number, string, number]>, when: string): Promise<void> {
    for (const stepS of [60, 900, 3_600]) {
      for (const agg of ['mean', 'count', 'last', 'max'] as const) {
        const got = await store.series({ assets: ['L1', 'L2', 'L3'], metric: 'speed_kmh', from: T0 - HOUR, to: T0 + 7 * HOUR, stepS, agg });
        for (const r of got) {
          const want = expected(finals, r.asset, T0 - HOUR, T0 + 7 * HOUR, stepS * 1000, agg);
          expect(r.points.map((p) => p[0]), `${when}: ${r.asset} ${stepS}s ${agg}`).toEqual(want.map((p) => p[0]));
          r.points.forEach(([, v], k) => expect(v, `${when}: ${r.asset} ${stepS}s ${agg} #${k}`).toBeCloseTo(want[k]![1], 6));
        }
        // In columns, twice (the second from the closed-bucket cache where it applies): the same answer.
        const q = { assets: ['L1', 'L2', 'L3'], metric: 'speed_kmh', from: T0 - HOUR, to: T0 + 7 * HOUR, stepS, agg, digits: 3 };
        const want = parsed(columnsFromSeries(got, q));
        expect(parsed(await store.seriesColumns(q)), `${when}: columns ${stepS}s ${agg}`).toEqual(want);
        expect(parsed(await store.seriesColumns(q)), `${when}: columns again ${stepS}s ${agg}`).toEqual(want);
      }
    }
    const newest = [...finals.values()].sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1])).at(-1)!;
    const latest = (await store.latest('traffic')).find((l) => l.ts === newest[0] && l.device === newest[1]);
    expect(latest?.values.speed_kmh, `${when}: latest`).toBe(newest[2]);
  }

  /** The rollup rows of `file` (opened after its store closed) as `asset bucket count sum` lines, per table; L9 (the writes that trigger folds) left out. */
  async function rollupRows(file: string): Promise<Record<'1m' | '15m' | '1h', string[]>> {
    const db = await DuckDBInstance.create(file);
    const conn = await db.connect();
    try {
      const rows = async (table: string) => (await conn.runAndReadAll(`SELECT asset, bucket, count, sum FROM ${table} WHERE asset <> 'L9' ORDER BY asset, bucket`))
        .getRows().map(([asset, bucket, count, sum]) => `${String(asset)} ${(Number(bucket) - T0) / MIN} ${Number(count)} ${Number(sum)}`);
      return { '1m': await rows('rollup_1m'), '15m': await rows('rollup_15m'), '1h': await rows('rollup_1h') };
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  }

  /** What `rollupRows` should hold for `finals` in the buckets that end by `through` (minutes after T0 in the lines). */
  function recomputed(finals: Map<string, [number, string, number]>, through: number): Record<'1m' | '15m' | '1h', string[]> {
    const at = (ms: number) => ['L1', 'L2', 'L3'].flatMap((asset) => {
      const end = Math.floor(through / ms) * ms;
      const sums = expected(finals, asset, T0 - HOUR, end, ms, 'sum');
      return expected(finals, asset, T0 - HOUR, end, ms, 'count').map(([b, n], k) => `${asset} ${(b - T0) / MIN} ${n} ${sums[k]![1]}`);
    });
    return { '1m': at(MIN), '15m': at(15 * MIN), '1h': at(HOUR) };
  }

  it('builds a 15 min or 1 h bucket once, when W passes its end: never a partial one at each minute\'s fold', async () => {
    const file = join(dir, 'hub.duckdb');
    const finals = new Map<string, [number, string, number]>();
    const points: Point[] = [];
    for (let m = 0; m < 150; m++) points.push(pt(`L${1 + (m % 3)}`, 'd1', T0 + m * MIN + 7_000, { speed_kmh: m }));
    points.forEach((p) => finals.set(`${p.asset}|${p.device}|${p.ts}`, [p.ts, p.device, p.values.speed_kmh!]));
    const first = storeWithEdge(file, T0 - 24 * HOUR);
    await first.write(points);
    await first.close();
    // W folded minute by minute across the ends of 15 min and 1 h buckets, as a running hub does.
    for (const [i, through] of [T0 + 14 * MIN, T0 + 15 * MIN, T0 + 16 * MIN, T0 + 59 * MIN, T0 + 60 * MIN, T0 + 61 * MIN, T0 + 125 * MIN].entries()) {
      const store = storeWithEdge(file, through);
      await store.write([pt('L9', 'd9', T0 + 10 * HOUR + i * MIN, { speed_kmh: 0 })]);
      await check(store, finals, `folded to ${(through - T0) / MIN} min`);
      await store.close();
      const rows = await rollupRows(file);
      expect(rows, `rollups folded to ${(through - T0) / MIN} min`).toEqual(recomputed(finals, through));
    }
  });

  it('equal a recomputation from raw when a fold moves W through points left unfolded by a stop mid-bucket, and again after a restart', async () => {
    const file = join(dir, 'hub.duckdb');
    const finals = new Map<string, [number, string, number]>();
    const note = (batch: Point[]) => batch.forEach((p) => finals.set(`${p.asset}|${p.device}|${p.ts}`, [p.ts, p.device, p.values.speed_kmh!]));
    // W a day before the points: all are appended to raw only, and the store stops before any fold.
    const first = storeWithEdge(file, T0 - 24 * HOUR, 3_600_000);
    const all = randomPoints();
    for (let i = 0; i < all.length; i += 250) {
      await first.write(all.slice(i, i + 250));
      note(all.slice(i, i + 250));
    }
    await check(first, finals, 'unfolded');
    await first.close();
    // Reopened with an edge at T0 + 2 h 30 min, in the middle of a 1 h bucket: the next write folds up to it.
    const second = storeWithEdge(file, T0 + 2.5 * HOUR);
    const rewrite = [pt('L1', 'd1', T0 + 2 * HOUR + 20 * MIN, { speed_kmh: 1 }), pt('L2', 'd2', T0 + 5 * HOUR, { speed_kmh: 2 })];
    await second.write(rewrite);
    note(rewrite);
    await check(second, finals, 'folded to 02:30');
    // A late point before W goes with its rollups; one after W only to raw.
    const late = [pt('L3', 'd1', T0 + 10 * MIN, { speed_kmh: 3 }), pt('L3', 'd2', T0 + 6 * HOUR + 30 * MIN, { speed_kmh: 4 })];
    await second.write(late);
    note(late);
    await check(second, finals, 'late points');
    await second.close();
    // W is kept in the file: a store opened with the default edge (now) folds the rest on its next write.
    const third = createDuckDbStore({ path: file, foldEveryMs: 0 });
    await third.write([pt('L9', 'd9', Date.now(), { speed_kmh: 5 })]);
    await check(third, finals, 'folded to now');
    await third.close();
  });
});
