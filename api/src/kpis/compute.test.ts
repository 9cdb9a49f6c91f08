import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AssetFeature } from '@cityhub/contracts';
import { loadCatalogue } from '@cityhub/contracts/catalogue';
import { createDuckDbStore, type Point, type Store } from '@cityhub/store';
import { CORRIDOR, computeKpis } from './compute.js';

const HOUR = 3_600_000;
type Props = Record<string, number | string>;

describe('KPIs from rollups agree with a recomputation from the raw readings', () => {
  const cat = loadCatalogue().features;
  const links = cat.filter((f) => f.properties.kind === 'traffic').slice(0, 30);
  const hotspots = cat.filter((f) => f.properties.kind === 'wifi').slice(0, 5);
  const buildings = cat.filter((f) => f.properties.kind === 'energy').slice(0, 4);
  const used: AssetFeature[] = [...links, ...hotspots, ...buildings];
  const to = Date.UTC(2026, 10, 20, 0);
  const from = to - 24 * HOUR;
  const raw: Point[] = [];
  let store: Store;
  let x = 7;
  const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32);

  beforeAll(async () => {
    store = createDuckDbStore({ path: ':memory:' });
    await store.init();
    // Two days (this period and the one before) plus one day a month earlier for the energy baseline,
    // readings at random minutes; some hotspots miss some quarters.
    const days = [from - 24 * HOUR, from, from - 30 * 24 * HOUR];
    for (const start of days) {
      for (let m = 0; m < 24 * 60; m += 5) {
        const ts = start + m * 60_000 + Math.floor(rnd() * 60_000);
        for (const l of links) raw.push({ kind: 'traffic', asset: l.id, device: `d-${l.id}`, ts, seq: m, values: { speed_kmh: Math.round(rnd() * 700) / 10 } });
        for (const h of hotspots) if (rnd() > 0.2) raw.push({ kind: 'wifi', asset: h.id, device: `d-${h.id}`, ts, seq: m, values: { clients: Math.floor(rnd() * 300) } });
        for (const b of buildings) raw.push({ kind: 'energy', asset: b.id, device: `d-${b.id}`, ts, seq: m, values: { power_kw: Math.round(rnd() * 2_000) / 10 } });
      }
    }
    for (let i = 0; i < raw.length; i += 5_000) await store.write(raw.slice(i, i + 5_000));
  });
  afterAll(async () => {
    await store.close();
  });

  /** Hourly means per asset of `metric` over [a, b), from the raw readings. */
  function hourMeans(metric: string, a: number, b: number): Map<string, number[]> {
    const acc = new Map<string, Map<number, number[]>>();
    for (const p of raw) {
      const v = p.values[metric];
      if (v === undefined || p.ts < a || p.ts >= b) continue;
      const h = Math.floor(p.ts / HOUR);
      const m = acc.get(p.asset) ?? new Map<number, number[]>();
      m.set(h, [...(m.get(h) ?? []), v]);
      acc.set(p.asset, m);
    }
    return new Map([...acc].map(([k, m]) => [k, [...m.values()].map((vs) => vs.reduce((s, v) => s + v, 0) / vs.length)]));
  }

  it('computes each KPI as its definition says', async () => {
    const k = Object.fromEntries((await computeKpis(store, used, from, to)).map((v) => [v.id, v]));
    const props = new Map(used.map((f) => [f.id, f.properties as unknown as Props]));
    const speeds = hourMeans('speed_kmh', from, to);
    let num = 0, den = 0, cNum = 0, cDen = 0;
    for (const [a, vs] of speeds) {
      const p = props.get(a)!;
      for (const v of vs) {
        num += (p.length_m as number) * Math.max(0, 1 - v / (p.free_flow_kmh as number));
        den += p.length_m as number;
        if (CORRIDOR.test(p.name as string)) { cNum += (p.length_m as number) * v; cDen += p.length_m as number; }
      }
    }
    expect(k.congestion_index!.value).toBeCloseTo(num / den, 9);
    expect(cDen).toBeGreaterThan(0);
    expect(k.corridor_speed!.value).toBeCloseTo(cNum / cDen, 9);
    const clients = hourMeans('clients', from, to);
    expect(k.wifi_client_hours!.value).toBeCloseTo([...clients.values()].flat().reduce((s, v) => s + v, 0), 6);
    const quarters = new Map<string, Set<number>>();
    for (const p of raw) if (p.kind === 'wifi' && p.ts >= from && p.ts < to) quarters.set(p.asset, (quarters.get(p.asset) ?? new Set()).add(Math.floor(p.ts / 900_000)));
    expect(k.wifi_availability!.value).toBeCloseTo([...quarters.values()].reduce((s, q) => s + q.size, 0) / (quarters.size * 96), 9);
    const power = hourMeans('power_kw', from, to);
    const area = buildings.reduce((s, b) => s + ((b.properties as unknown as Props).floor_area_m2 as number), 0);
    expect(k.energy_per_m2!.value).toBeCloseTo([...power.values()].flat().reduce((s, v) => s + v, 0) / area, 9);
  });

  it('compares with the period before, and energy with the first recorded period when there is no year-ago data', async () => {
    const k = Object.fromEntries((await computeKpis(store, used, from, to)).map((v) => [v.id, v]));
    const before = Object.fromEntries((await computeKpis(store, used, from - 24 * HOUR, from)).map((v) => [v.id, v]));
    expect(k.congestion_index!.previous).toBeCloseTo(before.congestion_index!.value!, 12);
    expect(k.congestion_index!.change).toBeCloseTo((k.congestion_index!.value! - before.congestion_index!.value!) / before.congestion_index!.value!, 12);
    const first = from - 30 * 24 * HOUR;
    const baseline = Object.fromEntries((await computeKpis(store, used, first, first + 24 * HOUR)).map((v) => [v.id, v]));
    expect(k.energy_per_m2!.compared_with).toMatch(/first recorded period/);
    expect(k.energy_per_m2!.previous).toBeCloseTo(baseline.energy_per_m2!.value!, 9);
    expect(k.energy_per_m2!.target).toBeCloseTo(baseline.energy_per_m2!.value! * 0.97, 9);
    expect(typeof k.energy_per_m2!.met).toBe('boolean');
  });
});
