import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HOUR, MIN, parsed, T0, pt } from '../../testing/kit.js';
import { columnsFromSeries } from '../columnar.js';
import type { ColumnarQuery, Store } from '../types.js';
import { ColumnCache } from './columnar.js';
import { createDuckDbStore } from './duckdb-store.js';

describe('ColumnCache', () => {
  const entry = (chars: number) => new Map([['a', 'x'.repeat(chars)]]);
  it('keeps at most its number of entries, the least recently used going first', () => {
    const c = new ColumnCache(2, 1_000);
    c.set('1', entry(1));
    c.set('2', entry(1));
    expect(c.get('1')).toBeDefined();
    c.set('3', entry(1));
    expect([c.get('1') !== undefined, c.get('2') !== undefined, c.get('3') !== undefined]).toEqual([true, false, true]);
    expect(c.size).toBe(2);
  });
  it('keeps at most its number of characters, and never an entry larger than that', () => {
    const c = new ColumnCache(10, 100);
    c.set('big', entry(101));
    expect(c.get('big')).toBeUndefined();
    c.set('1', entry(60));
    c.set('2', entry(30));
    c.set('3', entry(30));
    expect([c.get('1'), c.get('2'), c.get('3')].map((v) => v !== undefined)).toEqual([false, true, true]);
    c.set('2', entry(50));
    expect(c.size).toBe(2);
  });
});

describe('DuckDB history in columns, buckets before the cut kept between reads', () => {
  let dir: string;
  let store: Store;
  // W's limit at T0 + 3 h: the first three hours are folded into the rollups, the rest is read from raw.
  const edge = T0 + 3 * HOUR;
  const q: ColumnarQuery = { assets: ['L1', 'L2', 'L1'], metric: 'speed_kmh', from: T0, to: T0 + 5 * HOUR, stepS: 900, agg: 'mean', digits: 2 };
  const reference = async (query: ColumnarQuery) => parsed(columnsFromSeries(await store.series(query), query));
  const columns = async (query: ColumnarQuery) => parsed(await store.seriesColumns(query));

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cityhub-columns-'));
    store = createDuckDbStore({ path: join(dir, 'hub.duckdb'), rollupDelayMs: Date.now() - edge, foldEveryMs: 0 });
    const points = [];
    for (let m = 0; m < 5 * 60; m += 5) {
      points.push(pt('L1', 'd1', T0 + m * MIN, { speed_kmh: 30 + (m % 17) }), pt('L2', 'd2', T0 + m * MIN, { speed_kmh: 50 - (m % 13) / 3 }));
    }
    await store.write(points);
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answer as a recomputation does after a late point in a closed bucket, a fresh point and a deletion', async () => {
    const first = await columns(q);
    expect(first).toEqual(await reference(q));
    expect(await columns(q)).toEqual(first);
    // A late point in the first (closed) bucket changes its mean at once.
    await store.write([pt('L1', 'd3', T0 + 2 * MIN, { speed_kmh: 130 })]);
    const late = await columns(q);
    expect(late).toEqual(await reference(q));
    expect(late.series[0]!.values).not.toEqual(first.series[0]!.values);
    // A fresh point after W (only in raw) shows in the open buckets, the closed ones as they were.
    await store.write([pt('L2', 'd2', T0 + 4 * HOUR + 1 * MIN, { speed_kmh: 99 })]);
    expect(await columns(q)).toEqual(await reference(q));
    // Retention removes the first hour of raw and of the 15 min rollup: the cached buckets go with them.
    await store.deleteBefore(T0 + HOUR, 'raw');
    await store.deleteBefore(T0 + HOUR, '15m');
    const after = await columns(q);
    expect(after).toEqual(await reference(q));
    expect((after.series[0]!.values as unknown[]).slice(0, 4)).toEqual([null, null, null, null]);
    // Every asset named gets its values, a repeated one as well.
    expect(after.series.map((s) => s.asset)).toEqual(['L1', 'L2', 'L1']);
    expect(after.series[2]!.values).toEqual(after.series[0]!.values);
  });

  it('answer ranges that end before the cut, start after it or span it, aligned or not, as a recomputation does', async () => {
    for (const r of [{ ...q, to: T0 + 2 * HOUR }, { ...q, from: T0 + 3 * HOUR + 30 * MIN }, { ...q, stepS: 3_600, agg: 'max' as const }, { ...q, stepS: 1_800, agg: 'last' as const },
      { ...q, from: T0 + 30_000, to: T0 + 2 * HOUR - 1, stepS: 7 }, { ...q, from: T0 + 30_000, to: T0 + 4 * HOUR - 1, stepS: 420, agg: 'count' as const }]) {
      expect(await columns(r)).toEqual(await reference(r));
      expect(await columns(r)).toEqual(await reference(r));
    }
  });
});
