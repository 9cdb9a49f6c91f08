import { expect } from 'vitest';
import { columnsFromSeries, type ColumnarQuery, type Store } from '../src/index.js';
import { code, MIN, parsed, T0, pt, type Cases } from './kit.js';

const AGGS = ['mean', 'min', 'max', 'sum', 'count', 'last'] as const;


/** The store's answer in columns, and the one `columnsFromSeries` makes from its `series()` answer. */
async function both(store: Store, q: ColumnarQuery) {
  const [columns, rows] = await Promise.all([store.seriesColumns(q), store.series(q)]);
  return { got: parsed(columns), want: parsed(columnsFromSeries(rows, q)) };
}

// Asset L1, speed_kmh: [T0, +15m) 2, 9, 4 (mean 5); [+15m, +30m) -3.04, 1.01 (mean -1.015, sum -2.03); nothing in
// [+30m, +45m); [+45m, +60m) 7.25. L2 has a second device; L3 reads only flow.
const writeCity = (store: Store) => store.write([
  pt('L1', 'd1', T0 + 10 * MIN, { speed_kmh: 4 }), pt('L1', 'd1', T0, { speed_kmh: 2 }), pt('L1', 'd1', T0 + 5 * MIN, { speed_kmh: 9 }),
  pt('L1', 'd1', T0 + 16 * MIN, { speed_kmh: -3.04 }), pt('L1', 'd1', T0 + 30 * MIN - 1, { speed_kmh: 1.01 }),
  pt('L1', 'd1', T0 + 45 * MIN, { speed_kmh: 7.25 }), pt('L1', 'd1', T0 - 1, { speed_kmh: 100 }),
  pt('L2', 'd2', T0 + MIN, { speed_kmh: 10.04 }), pt('L2', 'd2b', T0 + MIN, { speed_kmh: 12.06 }),
  pt('L2', 'd2', T0 + 50 * MIN, { speed_kmh: 33.35 }),
  pt('L3', 'd3', T0 + 2 * MIN, { flow_veh_h: 900 }),
]);

/** History in columns: one time axis, a rounded value array per asset, the same as `series()` rounded. */
export const columnarCases: Cases = {
  'answers in columns: every bucket once, values rounded, null where a bucket is empty': async ({ store }) => {
    await writeCity(store);
    const q: ColumnarQuery = { assets: ['L1', 'L3', 'nowhere'], metric: 'speed_kmh', from: T0, to: T0 + 60 * MIN, stepS: 900, agg: 'mean', digits: 1 };
    expect(parsed(await store.seriesColumns(q))).toEqual({
      ts: [T0, T0 + 15 * MIN, T0 + 30 * MIN, T0 + 45 * MIN],
      // -1.015 is -1.01499999… as a double: -1.0.
      series: [{ asset: 'L1', values: [5, -1, null, 7.3] }, { asset: 'L3', values: [null, null, null, null] }, { asset: 'nowhere', values: [null, null, null, null] }],
    });
    const sum = await store.seriesColumns({ ...q, assets: ['L1'], agg: 'sum', digits: 0 });
    expect(sum.series[0]?.values).toBe('[15,-2,null,7]');
  },

  'equals series() rounded, at every aggregate, from rollups and from raw, assets in the order asked': async ({ store }) => {
    await writeCity(store);
    const base = { assets: ['L2', 'nowhere', 'L1', 'L2'], metric: 'speed_kmh' };
    for (const agg of AGGS) {
      for (const [stepS, from, to] of [[900, T0, T0 + 60 * MIN], [60, T0, T0 + 60 * MIN], [3_600, T0 - 3_600_000, T0 + 3_600_000], [7, T0 + 30_000, T0 + 20 * MIN]] as const) {
        for (const digits of [0, 1, 2]) {
          const { got, want } = await both(store, { ...base, from, to, stepS, agg, digits });
          expect(got, `${agg} ${stepS} s, ${digits} digits`).toEqual(want);
          expect(got.series.map((s) => s.asset)).toEqual(base.assets);
        }
      }
    }
  },

  'starts the axis at the bucket that holds from, and ends it at the last bucket before to': async ({ store }) => {
    await writeCity(store);
    const r = await store.seriesColumns({ assets: ['L1'], metric: 'speed_kmh', from: T0 + 7 * MIN, to: T0 + 31 * MIN, stepS: 900, agg: 'count', digits: 0 });
    expect(r.ts).toEqual([T0, T0 + 15 * MIN, T0 + 30 * MIN]);
    expect(JSON.parse(r.series[0]!.values)).toEqual([1, 2, null]);
  },

  'rounds half away from zero, and never answers -0': async ({ store }) => {
    await store.write([
      pt('A', 'a', T0, { speed_kmh: 2.25 }), pt('B', 'b', T0, { speed_kmh: -2.25 }),
      pt('C', 'c', T0, { speed_kmh: -0.04 }), pt('D', 'd', T0, { speed_kmh: 0.5 }), pt('E', 'e', T0, { speed_kmh: -0.5 }),
    ]);
    const q: ColumnarQuery = { assets: ['A', 'B', 'C', 'D', 'E'], metric: 'speed_kmh', from: T0, to: T0 + 15 * MIN, stepS: 900, agg: 'last', digits: 1 };
    const values = async (digits: number) => parsed(await store.seriesColumns({ ...q, digits })).series.map((s) => s.values);
    // toEqual tells -0 from 0.
    expect(await values(1)).toEqual([[2.3], [-2.3], [0], [0.5], [-0.5]]);
    expect(await values(0)).toEqual([[2], [-2], [0], [1], [-1]]);
  },

  'refuses a query in columns without a step or with bad digits': async ({ store }) => {
    const q = { assets: ['L1'], metric: 'speed_kmh', from: T0, to: T0 + 60 * MIN, stepS: 900, agg: 'mean' as const, digits: 1 };
    expect(await code(store.seriesColumns({ ...q, stepS: undefined as unknown as number }))).toBe('STORE_BAD_INPUT');
    expect(await code(store.seriesColumns({ ...q, digits: -1 }))).toBe('STORE_BAD_INPUT');
    expect(await code(store.seriesColumns({ ...q, digits: 1.5 }))).toBe('STORE_BAD_INPUT');
    expect(await code(store.seriesColumns({ ...q, stepS: 1, from: T0, to: T0 + 86_400_000 * 30 }))).toBe('STORE_BAD_INPUT');
  },
};
