import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbStore } from '../src/duckdb/duckdb-store.js';
import { createInfluxStore } from '../src/influx/influx-store.js';
import type { ColumnarQuery, ColumnarResult, Point, SeriesQuery, Store } from '../src/types.js';
import { expectColumnsAgree } from '../testing/columns-agree.js';
import { startInfluxd, type Influxd } from './influxd.js';

let influxd: Influxd;
let duck: Store;
let influx: Store;
const db = `cross_${randomBytes(4).toString('hex')}`;

/** A small deterministic generator, so that a failure can be replayed. */
function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0) / 2 ** 32);
}

const T0 = Date.UTC(2024, 9, 27, 6); // a Sunday morning in Thessaloniki, 08:00 local
const HOUR = 3_600_000;
const LINKS = ['L101', 'L102', 'L103', 'L104', 'L105'];

/**
 * One simulated hour (plus a little on either side) of five road links: a reading every 15–45 s with
 * speed and often flow; link L101 has two devices that sometimes report in the same millisecond (a tie
 * for `last`); one building meter counts energy. Readings arrive in random batches, partly out of order,
 * and some are delivered twice with a corrected value.
 */
function simulatedHour(): Point[][] {
  const next = rng(20241027);
  const points: Point[] = [];
  for (const [i, link] of LINKS.entries()) {
    const devices = i === 0 ? ['d101a', 'd101b'] : [`d${101 + i}`];
    for (const device of devices) {
      let seq = 0;
      for (let ts = T0 - 5 * 60_000 + Math.floor(next() * 20_000); ts < T0 + HOUR + 5 * 60_000; ts += 15_000 + Math.floor(next() * 30_000)) {
        const values: Record<string, number> = { speed_kmh: Math.round((20 + next() * 40 + 10 * Math.sin(ts / 600_000)) * 100) / 100 };
        if (next() < 0.7) values.flow_veh_h = Math.round(300 + next() * 900);
        points.push({ kind: 'traffic', asset: link, device, ts, seq: seq++, values });
        if (device === 'd101a' && next() < 0.3) {
          points.push({ kind: 'traffic', asset: link, device: 'd101b', ts, seq: seq++, values: { speed_kmh: values.speed_kmh! + 1 } });
        }
      }
    }
  }
  let kwh = 1_000;
  for (let ts = T0; ts < T0 + HOUR; ts += 60_000) {
    kwh += next() * 3;
    points.push({ kind: 'energy', asset: 'B7', device: 'm7', ts, seq: ts / 60_000, values: { power_kw: 40 + next() * 20, energy_kwh: kwh } });
  }
  // Out of order: sorted by a jittered time, so neighbours swap; then re-deliveries with new values.
  const jittered = points.map((p) => [p.ts + next() * 120_000, p] as const).sort((a, b) => a[0] - b[0]).map(([, p]) => p);
  for (let i = 0; i < 40; i++) {
    const p = jittered[Math.floor(next() * jittered.length)]!;
    jittered.push({ ...p, values: { ...p.values, speed_kmh: (p.values.speed_kmh ?? 0) + 0.5 } });
  }
  const batches: Point[][] = [];
  for (let i = 0; i < jittered.length;) {
    const n = 1 + Math.floor(next() * 300);
    batches.push(jittered.slice(i, i + n));
    i += n;
  }
  return batches;
}

beforeAll(async () => {
  influxd = await startInfluxd();
  duck = createDuckDbStore({ path: ':memory:' });
  influx = createInfluxStore({ url: influxd.url, bucket: db });
  await Promise.all([duck.init(), influx.init()]);
  for (const batch of simulatedHour()) await Promise.all([duck.write(batch), influx.write(batch)]);
});
afterAll(async () => {
  await duck?.close();
  await influx?.close();
  await influxd?.stop();
});

/** Both stores' answers: same assets, same timestamps, values equal to float precision. */
async function agree(q: SeriesQuery): Promise<number> {
  const [d, i] = await Promise.all([duck.series(q), influx.series(q)]);
  const label = `${q.metric} ${q.stepS ?? 'raw'} ${q.agg ?? ''} [${q.from - T0}, ${q.to - T0})`;
  expect(i.map((s) => s.asset), label).toEqual(d.map((s) => s.asset));
  let n = 0;
  d.forEach((ds, k) => {
    const is = i[k]!;
    expect(is.points.map((p) => p[0]), `${label} ${ds.asset}`).toEqual(ds.points.map((p) => p[0]));
    ds.points.forEach(([ts, v], j) => expect(is.points[j]![1], `${label} ${ds.asset} @${ts - T0}`).toBeCloseTo(v, 9));
    n += ds.points.length;
  });
  return n;
}

describe('DuckDB and InfluxDB agree on the same simulated hour', () => {
  const traffic = { assets: [...LINKS, 'L999'], from: T0, to: T0 + HOUR };

  it('raw points', async () => {
    expect(await agree({ ...traffic, metric: 'speed_kmh' })).toBeGreaterThan(500);
    expect(await agree({ ...traffic, metric: 'flow_veh_h', from: T0 - 10 * 60_000, to: T0 + 2 * HOUR })).toBeGreaterThan(300);
  });

  for (const stepS of [60, 900, 3_600]) {
    it(`every aggregate at ${stepS} s, from the rollups`, async () => {
      for (const agg of ['mean', 'min', 'max', 'sum', 'count', 'last'] as const) {
        for (const metric of ['speed_kmh', 'flow_veh_h']) expect(await agree({ ...traffic, metric, stepS, agg })).toBeGreaterThan(0);
        expect(await agree({ assets: ['B7'], metric: 'energy_kwh', from: T0, to: T0 + HOUR, stepS, agg })).toBeGreaterThan(0);
      }
    });
  }

  it('every aggregate over unaligned ranges and steps, from raw', async () => {
    for (const agg of ['mean', 'min', 'max', 'sum', 'count', 'last'] as const) {
      expect(await agree({ ...traffic, metric: 'speed_kmh', from: T0 + 30_000, to: T0 + HOUR - 1, stepS: 900, agg })).toBeGreaterThan(0);
      expect(await agree({ ...traffic, metric: 'speed_kmh', stepS: 7, agg })).toBeGreaterThan(100);
    }
  });

  it('history in columns, at every aggregate and step, from rollups and from raw', async () => {
    const parse = (r: ColumnarResult) => ({ ts: r.ts, series: r.series.map((x) => ({ asset: x.asset, values: JSON.parse(x.values) as Array<number | null> })) });
    let compared = 0;
    for (const agg of ['mean', 'min', 'max', 'sum', 'count', 'last'] as const) {
      for (const [stepS, from, to] of [[60, T0, T0 + HOUR], [900, T0, T0 + HOUR], [3_600, T0 - HOUR, T0 + 2 * HOUR], [7, T0, T0 + HOUR]] as const) {
        for (const [metric, digits] of [['speed_kmh', 1], ['flow_veh_h', 0]] as const) {
          const q: ColumnarQuery = { ...traffic, metric, from, to, stepS, agg, digits };
          const [d, i] = await Promise.all([duck.seriesColumns(q), influx.seriesColumns(q)]);
          compared += expectColumnsAgree(parse(d), parse(i), digits, `${metric} ${agg} ${stepS} s`);
        }
      }
    }
    expect(compared).toBeGreaterThan(5_000);
  });

  it('latest readings', async () => {
    const [d, i] = await Promise.all([duck.latest('traffic'), influx.latest('traffic')]);
    expect(i).toEqual(d);
    expect(i.map((p) => p.asset)).toEqual(LINKS);
    expect(await influx.latest('energy')).toEqual(await duck.latest('energy'));
  });
});
