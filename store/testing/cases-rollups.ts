import { expect } from 'vitest';
import type { Point } from '../src/index.js';
import { HOUR, MIN, T0, code, pt, raw, type Cases } from './kit.js';

/** A small deterministic generator, so a failure can be replayed. */
export function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0) / 2 ** 32);
}
/** The aggregate of each epoch-aligned bucket, computed here from the final points. */
export function expected(points: Map<string, [number, string, number]>, asset: string, from: number, to: number, stepMs: number, agg: string): Array<[number, number]> {
  const buckets = new Map<number, Array<[number, string, number]>>();
  for (const [key, [ts, device, v]] of points) {
    if (!key.startsWith(`${asset}|`) || ts < from || ts >= to) continue;
    const b = Math.floor(ts / stepMs) * stepMs;
    buckets.set(b, [...(buckets.get(b) ?? []), [ts, device, v]]);
  }
  return [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([b, rows]) => {
    const vs = rows.map((r) => r[2]);
    const sum = vs.reduce((a, c) => a + c, 0);
    const last = [...rows].sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1])).at(-1)![2];
    const v = { mean: sum / vs.length, min: Math.min(...vs), max: Math.max(...vs), sum, count: vs.length, last }[agg]!;
    return [b, v];
  });
}

/** Rolled-up resolutions agree with raw, take late data, and have their own retention. */
export const rollupCases: Cases = {
  'equal a recomputation from raw for every resolution after random out-of-order, re-written input': async ({ store }) => {
    const next = rng(20241123);
    const finals = new Map<string, [number, string, number]>();
    const all: Point[] = [];
    for (let i = 0; i < 3_000; i++) {
      const asset = `L${1 + Math.floor(next() * 3)}`;
      const device = next() < 0.8 ? 'd1' : 'd2';
      // Six hours, with some points on exact bucket edges.
      const ts = T0 + (next() < 0.1 ? Math.floor(next() * 24) * 15 * MIN : Math.floor(next() * 6 * HOUR));
      const v = Math.round(next() * 10_000) / 100;
      all.push(pt(asset, device, ts, { speed_kmh: v }));
    }
    // Shuffled into batches of random size; a later write of a key wins, as in the store.
    for (let i = all.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [all[i], all[j]] = [all[j]!, all[i]!];
    }
    for (let i = 0; i < all.length;) {
      const n = 1 + Math.floor(next() * 400);
      const batch = all.slice(i, i + n);
      await store.write(batch);
      for (const p of batch) finals.set(`${p.asset}|${p.device}|${p.ts}`, [p.ts, p.device, p.values.speed_kmh!]);
      i += n;
    }
    for (const stepS of [60, 300, 900, 3_600, 7_200]) {
      for (const agg of ['mean', 'min', 'max', 'sum', 'count', 'last'] as const) {
        const got = await store.series({ assets: ['L1', 'L2', 'L3'], metric: 'speed_kmh', from: T0, to: T0 + 6 * HOUR, stepS, agg });
        for (const r of got) {
          const want = expected(finals, r.asset, T0, T0 + 6 * HOUR, stepS * 1000, agg);
          expect(r.points.map((p) => p[0]), `${r.asset} ${stepS}s ${agg}`).toEqual(want.map((p) => p[0]));
          r.points.forEach(([, v], k) => expect(v, `${r.asset} ${stepS}s ${agg} #${k}`).toBeCloseTo(want[k]![1], 6));
        }
      }
    }
  },

  'answer an unaligned range from raw with the same buckets': async ({ store }) => {
    await store.write([0, 20, 40, 70, 95].map((m, i) => pt('L1', 'd1', T0 + m * MIN, { speed_kmh: 10 * (i + 1) })));
    const aligned = await store.series({ assets: ['L1'], metric: 'speed_kmh', from: T0, to: T0 + 2 * HOUR, stepS: 3_600, agg: 'mean' });
    // [T0 + 1 ms, …) cannot use a rollup: the first bucket then lacks the 00:00 point.
    const unaligned = await store.series({ assets: ['L1'], metric: 'speed_kmh', from: T0 + 1, to: T0 + 2 * HOUR, stepS: 3_600, agg: 'mean' });
    expect(aligned[0]!.points).toEqual([[T0, 20], [T0 + HOUR, 45]]); // (10+20+30)/3, (40+50)/2
    expect(unaligned[0]!.points).toEqual([[T0, 25], [T0 + HOUR, 45]]); // (20+30)/2
  },

  'take late data into the old buckets it belongs to': async ({ store }) => {
    const yesterday = T0 - 24 * HOUR;
    await store.write([pt('L1', 'd1', T0 + 5 * MIN, { speed_kmh: 50 })]);
    // A device flushes yesterday's hour 10:00–11:00 as one late batch, out of order.
    const late = [50, 10, 30, 20, 40].map((m) => pt('L1', 'd1', yesterday + 10 * HOUR + m * MIN, { speed_kmh: m }));
    await store.write(late);
    const day = await store.series({ assets: ['L1'], metric: 'speed_kmh', from: yesterday, to: T0 + HOUR, stepS: 3_600, agg: 'mean' });
    expect(day[0]!.points).toEqual([[yesterday + 10 * HOUR, 30], [T0, 50]]);
    const q = await store.series({ assets: ['L1'], metric: 'speed_kmh', from: yesterday + 10 * HOUR, to: yesterday + 11 * HOUR, stepS: 900, agg: 'count' });
    // Minutes 10 | 20 | 30, 40 | 50 in the four quarters.
    expect(q[0]!.points.map((p) => p[1])).toEqual([1, 1, 2, 1]);
    // The same readings again change nothing.
    await store.write(late);
    expect((await store.series({ assets: ['L1'], metric: 'speed_kmh', from: yesterday, to: T0 + HOUR, stepS: 3_600, agg: 'count' }))[0]!.points)
      .toEqual([[yesterday + 10 * HOUR, 5], [T0, 1]]);
  },

  'keep the last value of a counter per bucket': async ({ store }) => {
    await store.write([[3, 100], [9, 130], [1, 90], [14, 160], [16, 170]].map(([m, v]) =>
      pt('B1', 'm1', T0 + m! * MIN, { energy_kwh: v! }, 'energy')));
    const q = await store.series({ assets: ['B1'], metric: 'energy_kwh', from: T0, to: T0 + HOUR, stepS: 900, agg: 'last' });
    expect(q[0]!.points).toEqual([[T0, 160], [T0 + 15 * MIN, 170]]);
  },

  'are removed per resolution by retention, leaving the others': async ({ store }) => {
    await store.write([pt('L1', 'd1', T0 + 5 * MIN, { speed_kmh: 10 }), pt('L1', 'd1', T0 + 2 * HOUR + 5 * MIN, { speed_kmh: 30 })]);
    await store.deleteBefore(T0 + HOUR, '1m');
    const perMin = await store.series({ assets: ['L1'], metric: 'speed_kmh', from: T0, to: T0 + 3 * HOUR, stepS: 60, agg: 'mean' });
    expect(perMin[0]!.points).toEqual([[T0 + 2 * HOUR + 5 * MIN, 30]]);
    const perHour = await store.series({ assets: ['L1'], metric: 'speed_kmh', from: T0, to: T0 + 3 * HOUR, stepS: 3_600, agg: 'mean' });
    expect(perHour[0]!.points).toEqual([[T0, 10], [T0 + 2 * HOUR, 30]]);
    expect(await raw(store, 'L1', 'speed_kmh', T0, T0 + 3 * HOUR)).toHaveLength(2);
    expect(await code(store.deleteBefore(T0, 'weekly' as never))).toBe('STORE_BAD_INPUT');
  },
};
