import { expect } from 'vitest';
import type { DeadLetter, SeriesQuery, Store } from '../src/index.js';
import { MIN, T0, pt, raw, type CaseContext, type Cases } from './kit.js';

const AGGS = ['mean', 'min', 'max', 'sum', 'count', 'last'] as const;

// Asset L1, speed_kmh, 15-minute buckets from T0:
//   [T0, +15m):   +0m → 2, +5m → 9, +10m → 4         mean 5, min 2, max 9, sum 15, count 3, last 4
//   [+15m, +30m): +16m → -3, +29m59.999s → 1         mean -1, min -3, max 1, sum -2, count 2, last 1
//   [+30m, +45m): nothing (absent, not zero)
//   [+45m, +60m): +45m → 7.5                         all 7.5, count 1
// and outside [T0, T0 + 60m): T0 - 1 ms → 100, T0 + 60m → 200.
const fifteen: Array<[number, number]> = [
  [T0 + 10 * MIN, 4], [T0, 2], [T0 + 5 * MIN, 9], // written out of time order on purpose
  [T0 + 16 * MIN, -3], [T0 + 30 * MIN - 1, 1], [T0 + 45 * MIN, 7.5],
  [T0 - 1, 100], [T0 + 60 * MIN, 200],
];
const writeFifteen = (store: Store) => store.write(fifteen.map(([ts, v], i) => pt('L1', 'd1', ts, { speed_kmh: v }, 'traffic', i)));
const B0 = T0;
const B1 = T0 + 15 * MIN;
const B3 = T0 + 45 * MIN;
const expected = {
  mean: [[B0, 5], [B1, -1], [B3, 7.5]],
  min: [[B0, 2], [B1, -3], [B3, 7.5]],
  max: [[B0, 9], [B1, 1], [B3, 7.5]],
  sum: [[B0, 15], [B1, -2], [B3, 7.5]],
  count: [[B0, 3], [B1, 2], [B3, 1]],
  last: [[B0, 4], [B1, 1], [B3, 7.5]],
} as const;

/** Raw points and aggregates over [from, to), several assets at once. */
export const seriesCases: Cases = {
  'returns raw points in ascending time within [from, to)': async ({ store }) => {
    await writeFifteen(store);
    expect(await raw(store, 'L1', 'speed_kmh', T0, T0 + 60 * MIN)).toEqual([
      [T0, 2], [T0 + 5 * MIN, 9], [T0 + 10 * MIN, 4], [T0 + 16 * MIN, -3], [T0 + 30 * MIN - 1, 1], [T0 + 45 * MIN, 7.5],
    ]);
    // The bounds exactly: from is inclusive, to exclusive.
    expect(await raw(store, 'L1', 'speed_kmh', T0 - 1, T0)).toEqual([[T0 - 1, 100]]);
    expect(await raw(store, 'L1', 'speed_kmh', T0 + 60 * MIN, T0 + 60 * MIN + 1)).toEqual([[T0 + 60 * MIN, 200]]);
    expect(await raw(store, 'L1', 'speed_kmh', T0 + 1, T0 + 5 * MIN)).toEqual([]);
    expect(await raw(store, 'L1', 'speed_kmh', T0 + 5 * MIN, T0 + 5 * MIN + 1)).toEqual([[T0 + 5 * MIN, 9]]);
  },

  ...Object.fromEntries(AGGS.map((agg) => [`aggregates per 15-minute bucket: ${agg}`, async ({ store }: CaseContext) => {
    await writeFifteen(store);
    const [s] = await store.series({ assets: ['L1'], metric: 'speed_kmh', from: T0, to: T0 + 60 * MIN, stepS: 900, agg });
    expect(s).toEqual({ asset: 'L1', points: expected[agg] });
  }])),

  'aligns buckets to the epoch, not to `from`': async ({ store }) => {
    await writeFifteen(store);
    const q = { assets: ['L1'], metric: 'speed_kmh', stepS: 900, agg: 'count' as const };
    // From +7m: the first bucket still starts at T0 and holds only +10m.
    expect((await store.series({ ...q, from: T0 + 7 * MIN, to: T0 + 20 * MIN }))[0]?.points).toEqual([[B0, 1], [B1, 1]]);
    // A step that does not divide an hour: 7 s buckets start at multiples of 7,000 ms since 1970.
    const [s7] = await store.series({ ...q, stepS: 7, agg: 'sum', from: T0, to: T0 + 11 * MIN });
    const floor7 = (t: number) => Math.floor(t / 7000) * 7000;
    expect(s7?.points).toEqual([[floor7(T0), 2], [floor7(T0 + 5 * MIN), 9], [floor7(T0 + 10 * MIN), 4]]);
    expect(floor7(T0)).not.toBe(T0);
    // Daily buckets start at UTC midnight.
    await store.write([pt('L1', 'd1', T0 + 86_400_000 + 5 * 3_600_000, { speed_kmh: 1 })]);
    const [day] = await store.series({ ...q, stepS: 86_400, from: T0 - 86_400_000, to: T0 + 2 * 86_400_000 });
    expect(day?.points).toEqual([[T0 - 86_400_000, 1], [T0, 7], [T0 + 86_400_000, 1]]);
  },

  'answers several assets in one query, in the order asked, with empty series for assets without data': async ({ store }) => {
    await writeFifteen(store);
    await store.write([
      pt('L2', 'd2', T0 + MIN, { speed_kmh: 10 }),
      pt('L2', 'd2', T0 + 20 * MIN, { speed_kmh: 20 }),
      pt('L3', 'd3', T0 + 2 * MIN, { speed_kmh: 30, flow_veh_h: 900 }),
    ]);
    const q: SeriesQuery = { assets: ['L3', 'nowhere', 'L1', 'L2'], metric: 'speed_kmh', from: T0, to: T0 + 30 * MIN };
    expect(await store.series({ ...q, stepS: 900, agg: 'max' })).toEqual([
      { asset: 'L3', points: [[B0, 30]] },
      { asset: 'nowhere', points: [] },
      { asset: 'L1', points: [[B0, 9], [B1, 1]] },
      { asset: 'L2', points: [[B0, 10], [B1, 20]] },
    ]);
    const rawAll = await store.series(q);
    expect(rawAll.map((s) => [s.asset, s.points.length])).toEqual([['L3', 1], ['nowhere', 0], ['L1', 5], ['L2', 2]]);
    // Only the metric asked for.
    expect(await store.series({ ...q, metric: 'flow_veh_h' })).toEqual([
      { asset: 'L3', points: [[T0 + 2 * MIN, 900]] }, { asset: 'nowhere', points: [] }, { asset: 'L1', points: [] }, { asset: 'L2', points: [] },
    ]);
  },

  'answers an empty range with empty series': async ({ store }) => {
    expect(await store.series({ assets: ['L1', 'L2'], metric: 'speed_kmh', from: T0, to: T0 + MIN })).toEqual([
      { asset: 'L1', points: [] }, { asset: 'L2', points: [] },
    ]);
    await writeFifteen(store);
    expect(await store.series({ assets: ['L1'], metric: 'speed_kmh', from: T0 + 31 * MIN, to: T0 + 45 * MIN, stepS: 60, agg: 'mean' }))
      .toEqual([{ asset: 'L1', points: [] }]);
  },
};

/** Deleting raw points before a cut. */
export const retentionCases: Cases = {
  'deleteBefore removes only raw points older than the cut': async ({ store }) => {
    const letter: DeadLetter = { received: T0 - 5 * MIN, device: 'd1', topic: 't', reason: 'schema', message: 'm', payload: '{}' };
    await store.writeDeadLetters([letter]);
    await store.write([
      pt('L1', 'd1', T0 - 2 * MIN, { speed_kmh: 1 }),
      pt('L1', 'd1', T0 - 1, { speed_kmh: 2, flow_veh_h: 20 }),
      pt('L1', 'd1', T0, { speed_kmh: 3 }),
      pt('L2', 'd2', T0 - MIN, { speed_kmh: 4 }),
    ]);
    const deleted = await store.deleteBefore(T0);
    // Four metric values lay before T0; a store that cannot count says null.
    if (deleted !== null) expect(deleted).toBe(4);
    expect(await raw(store, 'L1', 'speed_kmh', T0 - 10 * MIN, T0 + MIN)).toEqual([[T0, 3]]);
    expect(await raw(store, 'L1', 'flow_veh_h', T0 - 10 * MIN, T0 + MIN)).toEqual([]);
    expect(await raw(store, 'L2', 'speed_kmh', T0 - 10 * MIN, T0 + MIN)).toEqual([]);
    // L2 has nothing left, so it has no latest reading either.
    expect(await store.latest('traffic')).toEqual([{ kind: 'traffic', asset: 'L1', device: 'd1', ts: T0, values: { speed_kmh: 3 } }]);
    expect(await store.deleteBefore(T0)).toSatisfy((n: number | null) => n === null || n === 0);
    // Dead letters are not raw points: they keep their own retention.
    expect((await store.listDeadLetters({})).map((r) => r.received)).toEqual([letter.received]);
  },
};
