import type { AlertEvent, Kind } from '@cityhub/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deadLetterCapCases } from './conformance/dead-letter-cap.js';
import { capPayload } from './dead-letter-payload.js';
import { StoreError } from './errors.js';
import type { DeadLetter, Point, SeriesQuery, Store } from './types.js';

/** What an adapter's test hands the suite: a fresh, empty store (not yet initialised) and how to remove it. */
export interface StoreUnderTest {
  store: Store;
  /** Removes whatever the store left behind (files, databases); called after the suite closed the store. */
  cleanup(): Promise<void>;
}

/**
 * The one conformance suite every store adapter runs (as aedes-persistence's abstract.js is run by each
 * persistence backend), from a test file of a few lines:
 *
 * ```ts
 * runStoreSuite('duckdb', async () => ({ store: createDuckDbStore({ path }), cleanup: () => rm(dir) }));
 * ```
 *
 * It uses only the Store interface, and asks nothing that InfluxDB cannot do: times are epoch ms, values
 * are doubles, buckets are aligned to the epoch, a re-written key merges per metric, `seq` is not read back.
 * Every number it checks was worked out by hand in the comments beside it.
 */
export function runStoreSuite(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  describe(`Store conformance: ${name}`, () => {
    let sut: StoreUnderTest;
    let store: Store;

    beforeEach(async () => {
      sut = await makeStore();
      store = sut.store;
      await store.init();
    });
    afterEach(async () => {
      await store.close();
      await sut.cleanup();
    });

    /** 2024-03-31T00:00:00Z, a UTC midnight (and the day Thessaloniki's clocks go forward). */
    const T0 = Date.UTC(2024, 2, 31);
    const MIN = 60_000;
    const pt = (asset: string, device: string, ts: number, values: Record<string, number>, kind: Kind = 'traffic', seq = 0): Point =>
      ({ kind, asset, device, ts, seq, values });
    const raw = async (asset: string, metric: string, from: number, to: number) =>
      (await store.series({ assets: [asset], metric, from, to }))[0]?.points;
    const code = async (p: Promise<unknown>): Promise<string> => {
      try {
        await p;
      } catch (e) {
        expect(e).toBeInstanceOf(StoreError);
        return (e as StoreError).code;
      }
      return 'no error';
    };

    describe('write', () => {
      it('stores every metric of a reading', async () => {
        await store.write([pt('L1', 'd1', T0, { speed_kmh: 52.5, flow_veh_h: 640 })]);
        expect(await raw('L1', 'speed_kmh', T0, T0 + 1)).toEqual([[T0, 52.5]]);
        expect(await raw('L1', 'flow_veh_h', T0, T0 + 1)).toEqual([[T0, 640]]);
      });

      it('is idempotent: the same key written twice is one point and the later value wins', async () => {
        await store.write([pt('L1', 'd1', T0, { speed_kmh: 50 })]);
        await store.write([pt('L1', 'd1', T0, { speed_kmh: 55 })]);
        // Twice within one batch, too: the later element wins.
        await store.write([pt('L1', 'd1', T0 + MIN, { speed_kmh: 1 }), pt('L1', 'd1', T0 + MIN, { speed_kmh: 2 })]);
        expect(await raw('L1', 'speed_kmh', T0, T0 + 2 * MIN)).toEqual([[T0, 55], [T0 + MIN, 2]]);
        const [count] = await store.series({ assets: ['L1'], metric: 'speed_kmh', from: T0, to: T0 + 2 * MIN, stepS: 3600, agg: 'count' });
        expect(count?.points).toEqual([[T0, 2]]);
      });

      it('re-writing a reading with fewer metrics keeps the others (the key is per metric)', async () => {
        await store.write([pt('L1', 'd1', T0, { speed_kmh: 50, flow_veh_h: 300 })]);
        await store.write([pt('L1', 'd1', T0, { speed_kmh: 60 })]);
        expect(await raw('L1', 'speed_kmh', T0, T0 + 1)).toEqual([[T0, 60]]);
        expect(await raw('L1', 'flow_veh_h', T0, T0 + 1)).toEqual([[T0, 300]]);
        expect((await store.latest('traffic'))[0]?.values).toEqual({ speed_kmh: 60, flow_veh_h: 300 });
      });

      it('keeps readings of two devices of one asset at the same time apart (the device is in the key)', async () => {
        await store.write([pt('L1', 'd1', T0, { speed_kmh: 30 }), pt('L1', 'd2', T0, { speed_kmh: 40 })]);
        const points = (await raw('L1', 'speed_kmh', T0, T0 + 1)) ?? [];
        expect([...points].sort((a, b) => a[1] - b[1])).toEqual([[T0, 30], [T0, 40]]);
      });

      it('treats an empty batch as nothing to do', async () => {
        await store.write([]);
        await store.writeDeadLetters([]);
        expect(await store.latest('traffic')).toEqual([]);
        expect(await store.listDeadLetters({})).toEqual([]);
      });

      it('round-trips epoch ms exactly, to the millisecond, across time zones and clock changes', async () => {
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
        const points = await raw('L1', 'speed_kmh', Date.UTC(2024, 0, 1), Date.UTC(2025, 0, 1));
        expect(points).toEqual(times.map((ts, i) => [ts, values[i]]).sort((a, b) => a[0]! - b[0]!));
        const [latest] = await store.latest('traffic');
        // The newest of them is the second 03:30 of 27 October.
        expect(latest).toEqual({ kind: 'traffic', asset: 'L1', device: 'd1', ts: times[3], values: { speed_kmh: values[3] } });
      });

      it('writes 50,000 points in batches of 5,000 and counts them all', async () => {
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
        const rawPoints = (await raw('A007', 'clients', T0, T0 + 500 * MIN)) ?? [];
        expect(rawPoints).toHaveLength(500);
        expect(rawPoints[499]).toEqual([T0 + 499 * MIN, 49_907 % 97]);
        expect((await store.latest('wifi')).length).toBe(100);
      });

      it('serves reads while writes are under way, and loses no write', async () => {
        const writes = Array.from({ length: 8 }, (_, b) =>
          store.write(Array.from({ length: 500 }, (_, j) => pt('L1', `d${b}`, T0 + j * 1000, { speed_kmh: b }))));
        const reads = Array.from({ length: 8 }, () => store.series({ assets: ['L1'], metric: 'speed_kmh', from: T0, to: T0 + MIN }));
        await Promise.all([...writes, ...reads, store.latest('traffic')]);
        const [s] = await store.series({ assets: ['L1'], metric: 'speed_kmh', from: T0, to: T0 + 500_000, stepS: 3600, agg: 'sum' });
        // 500 readings from each of devices d0..d7, valued 0..7: 500 × 28.
        expect(s?.points).toEqual([[T0, 14_000]]);
      });
    });

    describe('latest', () => {
      it('gives the newest reading of each asset across its devices, with all of that reading’s values', async () => {
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
      });

      it('moves on when a newer reading comes, from any device', async () => {
        await store.write([pt('L1', 'd1', T0, { speed_kmh: 50 }), pt('L1', 'd2', T0 + MIN, { speed_kmh: 40 })]);
        await store.write([pt('L1', 'd1', T0 + 2 * MIN, { speed_kmh: 45, travel_time_s: 80 })]);
        expect(await store.latest('traffic')).toEqual([
          { kind: 'traffic', asset: 'L1', device: 'd1', ts: T0 + 2 * MIN, values: { speed_kmh: 45, travel_time_s: 80 } },
        ]);
      });
    });

    describe('series', () => {
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
      const writeFifteen = () => store.write(fifteen.map(([ts, v], i) => pt('L1', 'd1', ts, { speed_kmh: v }, 'traffic', i)));
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

      it('returns raw points in ascending time within [from, to)', async () => {
        await writeFifteen();
        expect(await raw('L1', 'speed_kmh', T0, T0 + 60 * MIN)).toEqual([
          [T0, 2], [T0 + 5 * MIN, 9], [T0 + 10 * MIN, 4], [T0 + 16 * MIN, -3], [T0 + 30 * MIN - 1, 1], [T0 + 45 * MIN, 7.5],
        ]);
        // The bounds exactly: from is inclusive, to exclusive.
        expect(await raw('L1', 'speed_kmh', T0 - 1, T0)).toEqual([[T0 - 1, 100]]);
        expect(await raw('L1', 'speed_kmh', T0 + 60 * MIN, T0 + 60 * MIN + 1)).toEqual([[T0 + 60 * MIN, 200]]);
        expect(await raw('L1', 'speed_kmh', T0 + 1, T0 + 5 * MIN)).toEqual([]);
        expect(await raw('L1', 'speed_kmh', T0 + 5 * MIN, T0 + 5 * MIN + 1)).toEqual([[T0 + 5 * MIN, 9]]);
      });

      for (const agg of ['mean', 'min', 'max', 'sum', 'count', 'last'] as const) {
        it(`aggregates per 15-minute bucket: ${agg}`, async () => {
          await writeFifteen();
          const [s] = await store.series({ assets: ['L1'], metric: 'speed_kmh', from: T0, to: T0 + 60 * MIN, stepS: 900, agg });
          expect(s).toEqual({ asset: 'L1', points: expected[agg] });
        });
      }

      it('aligns buckets to the epoch, not to `from`', async () => {
        await writeFifteen();
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
      });

      it('answers several assets in one query, in the order asked, with empty series for assets without data', async () => {
        await writeFifteen();
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
      });

      it('answers an empty range with empty series', async () => {
        expect(await store.series({ assets: ['L1', 'L2'], metric: 'speed_kmh', from: T0, to: T0 + MIN })).toEqual([
          { asset: 'L1', points: [] }, { asset: 'L2', points: [] },
        ]);
        await writeFifteen();
        expect(await store.series({ assets: ['L1'], metric: 'speed_kmh', from: T0 + 31 * MIN, to: T0 + 45 * MIN, stepS: 60, agg: 'mean' }))
          .toEqual([{ asset: 'L1', points: [] }]);
      });
    });

    describe('retention', () => {
      it('deleteBefore removes only raw points older than the cut', async () => {
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
        expect(await raw('L1', 'speed_kmh', T0 - 10 * MIN, T0 + MIN)).toEqual([[T0, 3]]);
        expect(await raw('L1', 'flow_veh_h', T0 - 10 * MIN, T0 + MIN)).toEqual([]);
        expect(await raw('L2', 'speed_kmh', T0 - 10 * MIN, T0 + MIN)).toEqual([]);
        // L2 has nothing left, so it has no latest reading either.
        expect(await store.latest('traffic')).toEqual([{ kind: 'traffic', asset: 'L1', device: 'd1', ts: T0, values: { speed_kmh: 3 } }]);
        expect(await store.deleteBefore(T0)).toSatisfy((n: number | null) => n === null || n === 0);
        // Dead letters are not raw points: they keep their own retention.
        expect((await store.listDeadLetters({})).map((r) => r.received)).toEqual([letter.received]);
      });
    });

    describe('rollups', () => {
      const HOUR = 60 * MIN;
      /** A small deterministic generator, so a failure can be replayed. */
      function rng(seed: number): () => number {
        let x = seed >>> 0;
        return () => ((x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0) / 2 ** 32);
      }
      /** The aggregate of each epoch-aligned bucket, computed here from the final points. */
      function expected(points: Map<string, [number, string, number]>, asset: string, from: number, to: number, stepMs: number, agg: string): Array<[number, number]> {
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

      it('equal a recomputation from raw for every resolution after random out-of-order, re-written input', async () => {
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
      });

      it('answer an unaligned range from raw with the same buckets', async () => {
        await store.write([0, 20, 40, 70, 95].map((m, i) => pt('L1', 'd1', T0 + m * MIN, { speed_kmh: 10 * (i + 1) })));
        const aligned = await store.series({ assets: ['L1'], metric: 'speed_kmh', from: T0, to: T0 + 2 * HOUR, stepS: 3_600, agg: 'mean' });
        // [T0 + 1 ms, …) cannot use a rollup: the first bucket then lacks the 00:00 point.
        const unaligned = await store.series({ assets: ['L1'], metric: 'speed_kmh', from: T0 + 1, to: T0 + 2 * HOUR, stepS: 3_600, agg: 'mean' });
        expect(aligned[0]!.points).toEqual([[T0, 20], [T0 + HOUR, 45]]); // (10+20+30)/3, (40+50)/2
        expect(unaligned[0]!.points).toEqual([[T0, 25], [T0 + HOUR, 45]]); // (20+30)/2
      });

      it('take late data into the old buckets it belongs to', async () => {
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
      });

      it('keep the last value of a counter per bucket', async () => {
        await store.write([[3, 100], [9, 130], [1, 90], [14, 160], [16, 170]].map(([m, v]) =>
          pt('B1', 'm1', T0 + m! * MIN, { energy_kwh: v! }, 'energy')));
        const q = await store.series({ assets: ['B1'], metric: 'energy_kwh', from: T0, to: T0 + HOUR, stepS: 900, agg: 'last' });
        expect(q[0]!.points).toEqual([[T0, 160], [T0 + 15 * MIN, 170]]);
      });

      it('are removed per resolution by retention, leaving the others', async () => {
        await store.write([pt('L1', 'd1', T0 + 5 * MIN, { speed_kmh: 10 }), pt('L1', 'd1', T0 + 2 * HOUR + 5 * MIN, { speed_kmh: 30 })]);
        await store.deleteBefore(T0 + HOUR, '1m');
        const perMin = await store.series({ assets: ['L1'], metric: 'speed_kmh', from: T0, to: T0 + 3 * HOUR, stepS: 60, agg: 'mean' });
        expect(perMin[0]!.points).toEqual([[T0 + 2 * HOUR + 5 * MIN, 30]]);
        const perHour = await store.series({ assets: ['L1'], metric: 'speed_kmh', from: T0, to: T0 + 3 * HOUR, stepS: 3_600, agg: 'mean' });
        expect(perHour[0]!.points).toEqual([[T0, 10], [T0 + 2 * HOUR, 30]]);
        expect(await raw('L1', 'speed_kmh', T0, T0 + 3 * HOUR)).toHaveLength(2);
        expect(await code(store.deleteBefore(T0, 'weekly' as never))).toBe('STORE_BAD_INPUT');
      });
    });

    describe('dead letters', () => {
      it('deletes dead letters by id, and only those', async () => {
        const dl = (id: string, received: number): DeadLetter => ({ id, received, device: 'd1', topic: 'city/traffic/d1/telemetry', reason: 'schema', message: 'm', payload: '{}' });
        await store.writeDeadLetters([dl('a', T0), dl('b', T0 + 1), dl('c', T0 + 2)]);
        expect(await store.deleteDeadLetters(['a', 'c', 'zzz'])).toBe(2);
        expect((await store.listDeadLetters({})).map((d) => d.id)).toEqual(['b']);
        expect(await store.deleteDeadLetters([])).toBe(0);
      });

      const letter = (received: number, over: Partial<DeadLetter> = {}): DeadLetter => ({
        received,
        device: 'd1',
        topic: 'city/traffic/d1/telemetry',
        reason: 'schema',
        message: 'speed_kmh: expected number',
        payload: '{"ts":1,"seq":1}',
        ...over,
      });

      it('stores rows with generated ids and lists them newest first', async () => {
        const payload = 'ünïcödé "quoted", back\\slash,\nnew line, tab\t, emoji 🚦';
        await store.writeDeadLetters([
          letter(T0, { payload }),
          letter(T0 + 2_000, { device: null, topic: 'city/traffic/ghost/telemetry', reason: 'unknown_device' }),
          letter(T0 + 1_000, { device: 'd2', reason: 'out_of_range', message: 'occupancy_pct: too big' }),
        ]);
        const rows = await store.listDeadLetters({});
        expect(rows.map((r) => r.received)).toEqual([T0 + 2_000, T0 + 1_000, T0]);
        expect(new Set(rows.map((r) => r.id)).size).toBe(3);
        for (const r of rows) expect(r.id).toMatch(/^\S+$/);
        const ghost = letter(T0 + 2_000, { device: null, topic: 'city/traffic/ghost/telemetry', reason: 'unknown_device' });
        expect(rows[0]).toEqual({ ...ghost, id: rows[0]?.id, ...capPayload(ghost.payload) });
        expect(rows[2]?.payload).toBe(payload);
      });

      it('filters by device, reason and [from, to), and limits', async () => {
        await store.writeDeadLetters([
          letter(T0, { device: 'd1', reason: 'schema' }),
          letter(T0 + 1, { device: 'd2', reason: 'schema' }),
          letter(T0 + 2, { device: 'd1', reason: 'ts_future' }),
          letter(T0 + 3, { device: 'd1', reason: 'schema' }),
        ]);
        const at = async (q: Parameters<Store['listDeadLetters']>[0]) => (await store.listDeadLetters(q)).map((r) => r.received - T0);
        expect(await at({ device: 'd1' })).toEqual([3, 2, 0]);
        expect(await at({ reason: 'schema' })).toEqual([3, 1, 0]);
        expect(await at({ device: 'd1', reason: 'schema' })).toEqual([3, 0]);
        expect(await at({ from: T0 + 1, to: T0 + 3 })).toEqual([2, 1]);
        expect(await at({ limit: 2 })).toEqual([3, 2]);
        expect(await at({ device: 'nobody' })).toEqual([]);
      });

      it('lists 100 by default and at most 1,000', async () => {
        await store.writeDeadLetters(Array.from({ length: 1_050 }, (_, i) => letter(T0 + i)));
        const byDefault = await store.listDeadLetters({});
        expect(byDefault).toHaveLength(100);
        expect(byDefault[0]?.received).toBe(T0 + 1_049);
        expect(await store.listDeadLetters({ limit: 5_000 })).toHaveLength(1_000);
      });

      deadLetterCapCases(() => store, T0);
    });

    describe('alert log', () => {
      const ev = (id: string, alert: string, state: 'opened' | 'acknowledged' | 'cleared', at: number, extra: Partial<AlertEvent> = {}): AlertEvent => ({
        id, alert, rule: 'congestion', kind: 'traffic', asset: 'L1', severity: 'warning', state, at, value: state === 'acknowledged' ? null : 12.5,
        message: `speed 12.5 km/h "low"\non L1`, by: state === 'acknowledged' ? 'op-1' : null, ...extra,
      });
      it('keeps events newest first, filters them, and replaces an event written again', async () => {
        await store.writeAlertEvents([ev('e1', 'a1', 'opened', T0), ev('e2', 'a1', 'acknowledged', T0 + MIN), ev('e3', 'a2', 'opened', T0 + 2 * MIN, { asset: 'L2' })]);
        await store.writeAlertEvents([ev('e4', 'a1', 'cleared', T0 + 3 * MIN), ev('e1', 'a1', 'opened', T0)]);
        const all = await store.listAlertEvents({});
        expect(all.map((e) => e.id)).toEqual(['e4', 'e3', 'e2', 'e1']);
        expect(all[3]).toEqual(ev('e1', 'a1', 'opened', T0));
        expect(all[2]!.by).toBe('op-1');
        expect(all[2]!.value).toBeNull();
        expect((await store.listAlertEvents({ alert: 'a1' })).map((e) => e.state)).toEqual(['cleared', 'acknowledged', 'opened']);
        expect((await store.listAlertEvents({ asset: 'L2' })).map((e) => e.id)).toEqual(['e3']);
        expect((await store.listAlertEvents({ from: T0 + MIN, to: T0 + 3 * MIN })).map((e) => e.id)).toEqual(['e3', 'e2']);
        expect((await store.listAlertEvents({ limit: 1 })).map((e) => e.id)).toEqual(['e4']);
        expect(await code(store.writeAlertEvents([{ ...ev('x', 'a', 'opened', T0), at: Number.NaN }]))).toBe('STORE_BAD_INPUT');
        expect(await code(store.listAlertEvents({ limit: 0 }))).toBe('STORE_BAD_INPUT');
      });
    });

    describe('bad input', () => {
      const good = pt('L1', 'd1', T0, { speed_kmh: 50 });

      it('refuses non-finite values and stores nothing of that batch', async () => {
        for (const v of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
          expect(await code(store.write([good, pt('L1', 'd1', T0 + 1, { speed_kmh: v })]))).toBe('STORE_BAD_INPUT');
        }
        expect(await raw('L1', 'speed_kmh', T0 - MIN, T0 + MIN)).toEqual([]);
      });

      it('refuses malformed points', async () => {
        const cases: Point[] = [
          { ...good, kind: 'trams' as string as Kind },
          { ...good, asset: '' },
          { ...good, device: '' },
          { ...good, ts: T0 + 0.5 },
          { ...good, ts: Number.NaN },
          { ...good, values: {} },
        ];
        for (const p of cases) expect(await code(store.write([p]))).toBe('STORE_BAD_INPUT');
        expect(await store.latest('traffic')).toEqual([]);
      });

      it('refuses malformed series queries', async () => {
        const q: SeriesQuery = { assets: ['L1'], metric: 'speed_kmh', from: T0, to: T0 + MIN };
        const cases: SeriesQuery[] = [
          { ...q, assets: [] },
          { ...q, to: q.from },
          { ...q, from: q.to + 1 },
          { ...q, stepS: 60, agg: 'median' as string as SeriesQuery['agg'] },
          { ...q, stepS: 60 },
          { ...q, stepS: 0, agg: 'mean' },
          { ...q, stepS: -60, agg: 'mean' },
        ];
        for (const c of cases) expect(await code(store.series(c))).toBe('STORE_BAD_INPUT');
      });

      it('refuses other malformed requests', async () => {
        expect(await code(store.latest('trams' as string as Kind))).toBe('STORE_BAD_INPUT');
        expect(await code(store.deleteBefore(Number.NaN))).toBe('STORE_BAD_INPUT');
        expect(await code(store.listDeadLetters({ limit: 0 }))).toBe('STORE_BAD_INPUT');
        expect(await code(store.listDeadLetters({ from: T0, to: T0 }))).toBe('STORE_BAD_INPUT');
        expect(await code(store.writeDeadLetters([{ received: Number.NaN, device: null, topic: 't', reason: 'schema', message: '', payload: '' }])))
          .toBe('STORE_BAD_INPUT');
      });
    });

    describe('lifecycle', () => {
      it('init and close may be called twice', async () => {
        await store.init();
        await store.write([pt('L1', 'd1', T0, { speed_kmh: 1 })]);
        await store.close();
        await store.close();
      });
    });
  });
}
