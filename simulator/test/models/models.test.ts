import { validateReading, type BuildingProperties, type HotspotProperties, type LinkProperties } from '@cityhub/contracts';
import { assetsOfKind } from '@cityhub/contracts/catalogue';
import { describe, expect, it } from 'vitest';
import { buildingParams, energyAt, energyBetween, meterBaselineKwh, powerAt } from '../../src/models/energy.js';
import { congestion, linkParams, trafficAt } from '../../src/models/traffic.js';
import { wifiAt } from '../../src/models/wifi.js';
import { athensInstant, athensTime } from './athens.js';

const links = assetsOfKind('traffic').map((f) => f.properties as LinkProperties);
const hotspots = assetsOfKind('wifi').map((f) => f.properties as HotspotProperties);
const buildings = assetsOfKind('energy').map((f) => f.properties as BuildingProperties);
const urban = links.filter((l) => l.free_flow_kmh < 80);
const expressway = links.filter((l) => l.free_flow_kmh >= 80);
const hotspot = (id: string) => hotspots.find((h) => h.id === id)!;
const building = (id: string) => buildings.find((b) => b.id === id)!;

// Monday 3 March 2025 (EET, UTC+2) and Saturday 8 March; Wednesday 16 July 2025 (EEST, UTC+3).
const MON = (h: number, m = 0) => athensInstant(2025, 3, 3, h, m);
const SAT = (h: number, m = 0) => athensInstant(2025, 3, 8, h, m);
const JUL = (h: number, m = 0) => athensInstant(2025, 7, 16, h, m);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('local time', () => {
  it('follows Europe/Athens, daylight saving time included', () => {
    expect(new Date(MON(8, 30)).toISOString()).toBe('2025-03-03T06:30:00.000Z');
    expect(new Date(JUL(8, 30)).toISOString()).toBe('2025-07-16T05:30:00.000Z');
    expect(athensTime(MON(8, 30))).toEqual({ weekday: 1, minutes: 510, month: 3 });
    expect(athensTime(Date.UTC(2025, 9, 26, 0, 30)).minutes).toBe(3 * 60 + 30); // still EEST
    expect(athensTime(Date.UTC(2025, 9, 26, 1, 30)).minutes).toBe(3 * 60 + 30); // EET again
  });
});

describe('traffic model', () => {
  it('is slower at 08:30 on a weekday than at 03:00, on every link', () => {
    for (const l of links) expect(trafficAt(l, MON(8, 30)).speed_kmh).toBeLessThan(trafficAt(l, MON(3)).speed_kmh);
  });

  it('loses 30–60 % of free-flow speed in the morning rush on urban links, less on expressways', () => {
    const drop = (ls: LinkProperties[]) => ls.map((l) => 1 - trafficAt(l, MON(8, 30)).speed_kmh / l.free_flow_kmh);
    const u = drop(urban);
    const e = drop(expressway);
    expect(mean(u)).toBeGreaterThan(0.3);
    expect(mean(u)).toBeLessThan(0.6);
    expect(Math.max(...u)).toBeLessThanOrEqual(0.6 * 1.25 + 0.05);
    expect(mean(e)).toBeLessThan(mean(u));
    expect(mean(e)).toBeGreaterThan(0.1);
  });

  it('is near free flow at night and lighter on Saturday mornings than on weekday mornings', () => {
    for (const l of links) expect(trafficAt(l, MON(3)).speed_kmh).toBeGreaterThan(l.free_flow_kmh * 0.95);
    expect(mean(links.map((l) => congestion(l, SAT(8, 30))))).toBeLessThan(mean(links.map((l) => congestion(l, MON(8, 30)))) / 2);
  });

  it('stays within the schema ranges and below 1.05 × free flow all week, and is physically consistent', () => {
    for (const l of links.filter((_, i) => i % 6 === 0)) {
      for (let t = MON(0); t < MON(0) + 7 * 86_400_000; t += 17 * 60_000 + 1234) {
        const r = trafficAt(l, t);
        expect(r.speed_kmh).toBeLessThanOrEqual(l.free_flow_kmh * 1.05);
        expect(r.speed_kmh).toBeGreaterThanOrEqual(5);
        expect(r.occupancy_pct).toBeGreaterThanOrEqual(0);
        expect(r.occupancy_pct).toBeLessThanOrEqual(100);
        expect(r.flow_veh_h).toBeLessThanOrEqual(20_000);
        expect(Math.abs(r.travel_time_s - l.length_m / (r.speed_kmh / 3.6))).toBeLessThan(l.length_m / (r.speed_kmh / 3.6) * 0.01 + 0.2);
        const v = validateReading('traffic', { ts: t, seq: 1, ...r }, { now: t });
        expect(v.ok).toBe(true);
      }
    }
    // Greenshields: the flow of a congested rush is higher than the flow of an empty night road.
    const l = urban[0]!;
    expect(trafficAt(l, MON(8, 30)).flow_veh_h).toBeGreaterThan(5 * trafficAt(l, MON(3)).flow_veh_h);
    expect(trafficAt(l, MON(8, 30)).occupancy_pct).toBeGreaterThan(trafficAt(l, MON(3)).occupancy_pct);
  });

  it('is deterministic for a link and differs between links', () => {
    const l = links[10]!;
    expect(trafficAt(l, MON(8, 17))).toEqual(trafficAt({ ...l }, MON(8, 17)));
    expect(linkParams(l)).toEqual(linkParams({ ...l }));
    const depths = new Set(links.map((x) => linkParams(x).depth.toFixed(6)));
    expect(depths.size).toBeGreaterThan(links.length * 0.9);
  });
});

describe('wifi model', () => {
  it('fills museums in opening hours only, squares in the evening and stadiums only in the evening', () => {
    const museum = hotspot('hotspot-white-tower');
    expect(wifiAt(museum, MON(12)).clients).toBeGreaterThan(50);
    expect(wifiAt(museum, MON(21)).clients).toBeLessThan(5);
    const square = hotspot('hotspot-aristotelous-square');
    expect(wifiAt(square, MON(21)).clients).toBeGreaterThan(2 * wifiAt(square, MON(10)).clients);
    expect(wifiAt(square, MON(4)).clients).toBeLessThan(30);
    const stadium = hotspot('hotspot-toumba-stadium');
    expect(wifiAt(stadium, MON(20)).clients).toBeGreaterThan(5 * wifiAt(stadium, MON(11)).clients);
  });

  it('never exceeds capacity, carries traffic in proportion to clients and validates', () => {
    for (const h of hotspots) {
      for (let t = MON(0); t < MON(0) + 7 * 86_400_000; t += 23 * 60_000 + 777) {
        const r = wifiAt(h, t);
        expect(r.clients).toBeGreaterThanOrEqual(0);
        expect(r.clients).toBeLessThanOrEqual(h.capacity);
        expect(r.tx_kbps).toBeLessThan(r.rx_kbps);
        expect(validateReading('wifi', { ts: t, seq: 0, ...r }, { now: t }).ok).toBe(true);
      }
    }
    const h = hotspot('hotspot-aristotelous-square');
    expect(wifiAt(h, MON(21)).rx_kbps).toBeGreaterThan(wifiAt(h, MON(4)).rx_kbps);
  });
});

describe('energy model', () => {
  it('draws a night baseload of 25–35 % of the daytime demand', () => {
    for (const b of buildings.filter((x) => x.use === 'museum')) {
      const ratio = powerAt(b, MON(3)) / powerAt(b, MON(12));
      expect(ratio).toBeGreaterThan(0.2);
      expect(ratio).toBeLessThan(0.4);
    }
    const market = building('building-modiano-market');
    expect(powerAt(market, MON(12))).toBeGreaterThan(2.5 * powerAt(market, MON(3)));
    const sunday = athensInstant(2025, 3, 9, 12);
    expect(powerAt(market, sunday)).toBeLessThan(powerAt(market, MON(12)) / 2);
  });

  it('is sized from the floor area and stays under the power limit', () => {
    const big = building('building-toumba-stadium');
    const small = building('building-hamza-bey-mosque-alcazar');
    expect(buildingParams(big).peakKw).toBeGreaterThan(5 * buildingParams(small).peakKw);
    for (const b of buildings) {
      for (let t = MON(0); t < JUL(0) + 3 * 86_400_000; t += 3 * 3_600_000 + 4321) {
        const p = powerAt(b, t);
        expect(p).toBeGreaterThan(0);
        expect(p).toBeLessThanOrEqual(b.power_limit_kw);
      }
    }
    // Summer afternoons need cooling.
    const hall = building('building-thessaloniki-concert-hall');
    expect(powerAt(hall, JUL(15))).toBeGreaterThan(powerAt(hall, athensInstant(2025, 4, 16, 15)));
  });

  it('has a counter that never decreases and adds up whatever the reading times', () => {
    const b = building('building-new-railway-station');
    const from = MON(0);
    const day = energyBetween(b, from, from + 86_400_000);
    // A day at 0.3–1.3 × peak averages somewhere between those bounds.
    const peak = buildingParams(b).peakKw;
    expect(day).toBeGreaterThan(peak * 24 * 0.3);
    expect(day).toBeLessThan(peak * 24 * 1.3);

    let ts = from;
    let kwh = 1000;
    let last = -Infinity;
    for (let t = from; t <= from + 86_400_000; t += 4_000 + Math.floor(((t / 7) % 1) * 9_000)) {
      const r = energyAt(b, t, ts, kwh);
      expect(r.metrics.energy_kwh).toBeGreaterThanOrEqual(last);
      last = r.metrics.energy_kwh;
      ts = r.ts;
      kwh = r.kwh;
    }
    expect(kwh - 1000).toBeCloseTo(energyBetween(b, from, ts), 6);
    expect(energyBetween(b, from, from + 3_600_000) + energyBetween(b, from + 3_600_000, from + 7_200_000))
      .toBeCloseTo(energyBetween(b, from, from + 7_200_000), 9);
    expect(energyBetween(b, from + 10, from)).toBe(0);
  });

  it('starts a meter that lost its state no lower than it could have read before', () => {
    for (const b of buildings) {
      const t0 = MON(9);
      const t1 = JUL(18);
      expect(meterBaselineKwh(b, t1)).toBeGreaterThanOrEqual(meterBaselineKwh(b, t0) + energyBetween(b, t0, t1));
      expect(meterBaselineKwh(b, t0)).toBeGreaterThan(0);
    }
  });
});
