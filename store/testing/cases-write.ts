import { expect } from 'vitest';
import type { Point, SeriesQuery } from '../src/index.js';
import { MIN, T0, pt, raw, type Cases } from './kit.js';

/** Writing: every metric kept, idempotent per key, exact times, many points, reads during writes. */
export const writeCases: Cases = {
  'stores every metric of a reading': async ({ store }) => {
    await store.write([pt('L1', 'd1', T0, { speed_kmh: 52.5, flow_veh_h: 640 })]);
    expect(await raw(store, 'L1', 'speed_kmh', T0, T0 + 1)).toEqual([[T0, 52.5]]);
    expect(await raw(store, 'L1', 'flow_veh_h', T0, T0 + 1)).toEqual([[T0, 640]]);
  },

  'is idempotent: the same key written twice is one point and the later value wins': async ({ store }) => {
    await store.write([pt('L1', 'd1', T0, { speed_kmh: 50 })]);
    await store.write([pt('L1', 'd1', T0, { speed_kmh: 55 })]);
    // Twice within one batch, too: the later element wins.
    await store.write([pt('L1', 'd1', T0 + MIN, { speed_kmh: 1 }), pt('L1', 'd1', T0 + MIN, { speed_kmh: 2 })]);
    expect(await raw(store, 'L1', 'speed_kmh', T0, T0 + 2 * MIN)).toEqual([[T0, 55], [T0 + MIN, 2]]);
    const [count] = await store.series({ assets: ['L1'], metric: 'speed_kmh', from: T0, to: T0 + 2 * MIN, stepS: 3600, agg: 'count' });
    expect(count?.points).toEqual([[T0, 2]]);
  },

  're-writing a reading with fewer metrics keeps the others (the key is per metric)': async ({ store }) => {
    await store.write([pt('L1', 'd1', T0, { speed_kmh: 50, flow_veh_h: 300 })]);
    await store.write([pt('L1', 'd1', T0, { speed_kmh: 60 })]);
    expect(await raw(store, 'L1', 'speed_kmh', T0, T0 + 1)).toEqual([[T0, 60]]);
    expect(await raw(store, 'L1', 'flow_veh_h', T0, T0 + 1)).toEqual([[T0, 300]]);
    expect((await store.latest('traffic'))[0]?.values).toEqual({ speed_kmh: 60, flow_veh_h: 300 });
  },

  'keeps readings of two devices of one asset at the same time apart (the device is in the key)': async ({ store }) => {
    await store.write([pt('L1', 'd1', T0, { speed_kmh: 30 }), pt('L1', 'd2', T0, { speed_kmh: 40 })]);
    const points = (await raw(store, 'L1', 'speed_kmh', T0, T0 + 1)) ?? [];
    expect([...points].sort((a, b) => a[1] - b[1])).toEqual([[T0, 30], [T0, 40]]);
  },

  'treats an empty batch as nothing to do': async ({ store }) => {
    await store.write([]);
    await store.writeDeadLetters([]);
    expect(await store.latest('traffic')).toEqual([]);
    expect(await store.listDeadLetters({})).toEqual([]);
  },

  'round-trips epoch ms exactly, to the millisecond, across time zones and clock changes': async ({ store }) => {
    const times = [
      Date.parse('2024-03-31T02:59:59.999+02:00'), // the last ms of winter time in Thessaloniki
      Date.parse('2024-03-31T04:00:00.001+03:00'), // 2 ms later: summer time, local clock jumped an hour
      Date.parse('2024-10-27T03:30:00.500+03:00'), // this local time happens twice when clocks go back,
      Date.parse('2024-10-27T03:30:00.500+02:00'), // one hour apart
      Date.parse('2024-07-01T12:00:00.007Z'),
    ];
    expect(times[1]! - times[0]!).toBe(2);
    expect(times[3]! - times[2]!).toBe(3_600_000);
    const values = [0.1 + 0.2, -1e-9, 123456789.123, 1e12, -100_000];
    await store.write(times.map((ts, i) => pt('L1', 'd1', ts, { speed_kmh: values[i]! }, 'traffic', i)));
    const points = await raw(store, 'L1', 'speed_kmh', Date.UTC(2024, 0, 1), Date.UTC(2025, 0, 1));
    expect(points).toEqual(times.map((ts, i) => [ts, values[i]]).sort((a, b) => a[0]! - b[0]!));
    const [latest] = await store.latest('traffic');
    // The newest of them is the second 03:30 of 27 October.
    expect(latest).toEqual({ kind: 'traffic', asset: 'L1', device: 'd1', ts: times[3], values: { speed_kmh: values[3] } });
  },

  'writes 50,000 points in batches of 5,000 and counts them all': async ({ store }) => {
    const assets = Array.from({ length: 100 }, (_, i) => `A${String(i).padStart(3, '0')}`);
    const batchOf = (b: number): Point[] =>
      Array.from({ length: 5_000 }, (_, j) => {
        const i = b * 5_000 + j; // each asset gets minutes 0..499, one reading each
        return pt(assets[i % 100]!, `dev-${i % 100}`, T0 + Math.floor(i / 100) * MIN, { clients: i % 97 }, 'wifi', i);
      });
    for (let b = 0; b < 10; b++) await store.write(batchOf(b));
    await store.write(batchOf(3)); // a re-delivered batch changes nothing
    const q: SeriesQuery = { assets, metric: 'clients', from: T0, to: T0 + 500 * MIN, stepS: 86_400, agg: 'count' };
    const counts = await store.series(q);
    expect(counts.map((s) => s.asset)).toEqual(assets);
    for (const s of counts) expect(s.points).toEqual([[T0, 500]]);
    // Asset A007 holds i = 7, 107, …, 49907; its sum of i % 97, computed the slow way.
    let sum = 0;
    for (let i = 7; i < 50_000; i += 100) sum += i % 97;
    expect((await store.series({ ...q, assets: ['A007'], agg: 'sum' }))[0]?.points).toEqual([[T0, sum]]);
    const rawPoints = (await raw(store, 'A007', 'clients', T0, T0 + 500 * MIN)) ?? [];
    expect(rawPoints).toHaveLength(500);
    expect(rawPoints[499]).toEqual([T0 + 499 * MIN, 49_907 % 97]);
    expect((await store.latest('wifi')).length).toBe(100);
  },

  'serves reads while writes are under way, and loses no write': async ({ store }) => {
    const writes = Array.from({ length: 8 }, (_, b) =>
      store.write(Array.from({ length: 500 }, (_, j) => pt('L1', `d${b}`, T0 + j * 1000, { speed_kmh: b }))));
    const reads = Array.from({ length: 8 }, () => store.series({ assets: ['L1'], metric: 'speed_kmh', from: T0, to: T0 + MIN }));
    await Promise.all([...writes, ...reads, store.latest('traffic')]);
    const [s] = await store.series({ assets: ['L1'], metric: 'speed_kmh', from: T0, to: T0 + 500_000, stepS: 3600, agg: 'sum' });
    // 500 readings from each of devices d0..d7, valued 0..7: 500 × 28.
    expect(s?.points).toEqual([[T0, 14_000]]);
  },
};

/** The newest reading of each asset. */
export const latestCases: Cases = {
  'gives the newest reading of each asset across its devices, with all of that reading’s values': async ({ store }) => {
    await store.write([
      pt('L1', 'd1', T0, { speed_kmh: 50, flow_veh_h: 300 }),
      pt('L1', 'd2', T0 + MIN, { speed_kmh: 40 }),
      pt('L2', 'd3', T0 + 30_000, { speed_kmh: 70, occupancy_pct: 12 }),
      pt('B1', 'm1', T0, { power_kw: 3.5, energy_kwh: 1000 }, 'energy'),
    ]);
    // An older reading arriving later must not displace the newest.
    await store.write([pt('L1', 'd1', T0 - MIN, { speed_kmh: 99 })]);
    const traffic = (await store.latest('traffic')).sort((a, b) => a.asset.localeCompare(b.asset));
    expect(traffic).toEqual([
      { kind: 'traffic', asset: 'L1', device: 'd2', ts: T0 + MIN, values: { speed_kmh: 40 } },
      { kind: 'traffic', asset: 'L2', device: 'd3', ts: T0 + 30_000, values: { speed_kmh: 70, occupancy_pct: 12 } },
    ]);
    expect(await store.latest('energy')).toEqual([
      { kind: 'energy', asset: 'B1', device: 'm1', ts: T0, values: { power_kw: 3.5, energy_kwh: 1000 } },
    ]);
    expect(await store.latest('wifi')).toEqual([]);
  },

  'moves on when a newer reading comes, from any device': async ({ store }) => {
    await store.write([pt('L1', 'd1', T0, { speed_kmh: 50 }), pt('L1', 'd2', T0 + MIN, { speed_kmh: 40 })]);
    await store.write([pt('L1', 'd1', T0 + 2 * MIN, { speed_kmh: 45, travel_time_s: 80 })]);
    expect(await store.latest('traffic')).toEqual([
      { kind: 'traffic', asset: 'L1', device: 'd1', ts: T0 + 2 * MIN, values: { speed_kmh: 45, travel_time_s: 80 } },
    ]);
  },
};
