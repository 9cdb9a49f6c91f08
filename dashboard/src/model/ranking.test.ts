import { describe, expect, it } from 'vitest';
import type { BuildingProperties } from '@cityhub/contracts';
import { buildingRows, sortRows } from './ranking.js';
import type { Point } from './points.js';

const H = 3_600_000;
const END = Date.UTC(2025, 0, 20, 0); // Monday 20 January 2025, 02:00 local
const b = (id: string, floor: number): BuildingProperties => ({
  id, kind: 'energy', name: id.toUpperCase(), venue: id, use: 'museum', floor_area_m2: floor, power_limit_kw: 100, simulated: true, simulated_fields: [],
});
/** A counter rising `perHour` kWh every hour for `hours` hours before END, from `start`. */
const counter = (hours: number, perHour: (i: number) => number, start = 1000): Point[] => {
  const out: Point[] = [[END - (hours + 1) * H, start]];
  let v = start;
  for (let i = hours; i >= 1; i--) {
    v += perHour(i);
    out.push([END - i * H, v]);
  }
  return out;
};

describe('buildingRows', () => {
  // A: 10 kWh every hour for two weeks; the week before last 8 kWh/h. B: power only, 20 kW flat, no counter.
  const inputs = {
    counter: new Map([['a', counter(336, (i) => (i > 168 ? 8 : 10))]]),
    meanPower: new Map([
      ['a', [[END - 26 * H, 9], [END - 25 * H, 6], [END - 24 * H, 7], [END - 22 * H, 4], [END - 3 * H, 30]] as Point[]],
      ['b', Array.from({ length: 24 }, (_, i): Point => [END - (i + 1) * H, 20])],
    ]),
    maxPower: new Map([['a', [[END - 5 * H, 44], [END - 2 * H, 51.5]] as Point[]], ['b', [[END - 30 * H, 99]] as Point[]]]),
  };
  const rows = buildingRows([b('a', 2000), b('b', 400), b('c', 100)], inputs, END - 24 * H, END);

  it('ranks energy, energy per m², baseload, peak and week-on-week from hand-computed numbers', () => {
    // a: 24 h × 10 kWh = 240 kWh, 0.12 kWh/m²; this week 1680, last week 1344: +25 %.
    // Night hours inside the last 24 h: END−24h = 02:00 local (7 kW), END−22h = 04:00 (4 kW); 00:00 local at END−26h is outside.
    expect(rows[0]).toEqual({
      id: 'a', name: 'A', use: 'museum', floorAreaM2: 2000, kwh: 240, kwhPerM2: 0.12, baseloadKw: 4, baseloadWPerM2: 2, baseloadShare: null, peakKw: 51.5,
      weekOnWeek: 0.25, vsPrevious: 0, vsYearAgo: null, yearAgo: 'none', partial: false, source: 'counter',
    });
    // b: no counter, 24 h × 20 kW = 480 kWh from power, 1.2 kWh/m²; its peak is outside the period. No earlier week to compare.
    // b: 20 kW flat all day: 50 W/m² at night, as much as by day.
    expect(rows[1]).toMatchObject({ kwh: 480, kwhPerM2: 1.2, baseloadKw: 20, baseloadWPerM2: 50, baseloadShare: 1, peakKw: null, weekOnWeek: null, vsPrevious: null, partial: false, source: 'power' });
    expect(rows[2]).toMatchObject({ kwh: null, kwhPerM2: null, source: null });
  });

  it('compares with the same period a year earlier when the store holds it, and says "none" when it holds nothing', () => {
    const Y = 365 * 24 * H;
    // a: 5 kWh/h a year earlier (its counter from the hour before); b: power only, 25 kW for half the period.
    const yearAgo = {
      from: END - Y - 24 * H, to: END - Y,
      inputs: {
        counter: new Map([['a', Array.from({ length: 25 }, (_, i): Point => [END - Y - (25 - i) * H, 100 + 5 * i])]]),
        meanPower: new Map([['b', Array.from({ length: 12 }, (_, i): Point => [END - Y - (i + 1) * H, 25])]]),
      },
    };
    const [a, bRow, c] = buildingRows([b('a', 2000), b('b', 400), b('c', 100)], inputs, END - 24 * H, END, yearAgo);
    // a: 240 kWh now against 24 × 5 = 120 kWh then: +100 %.
    expect(a).toMatchObject({ vsYearAgo: 1, yearAgo: 'full' });
    // b: half a day of readings a year ago is no comparison, but not "no data" either.
    expect(bRow).toMatchObject({ vsYearAgo: null, yearAgo: 'partial' });
    expect(c).toMatchObject({ vsYearAgo: null, yearAgo: 'none' });
    expect(sortRows([a!, bRow!, c!], 'vsYearAgo').map((r) => r.id)).toEqual(['a', 'b', 'c']);
  });

  it('sorts by any column, blanks last', () => {
    expect(sortRows(rows, 'kwh').map((r) => r.id)).toEqual(['b', 'a', 'c']);
    expect(sortRows(rows, 'kwhPerM2', true).map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(sortRows(rows, 'name').map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(sortRows(rows, 'peakKw').map((r) => r.id)).toEqual(['a', 'b', 'c']);
  });
});
