import { describe, expect, it } from 'vitest';
import { baseloadKw, energyFromCounter, energyFromPower, peakOf, perArea, weekOnWeek } from './energy.js';
import type { Point } from './points.js';

const H = 3_600_000;
const h = (n: number) => Date.UTC(2025, 0, 6, 0) + n * H; // Monday 6 January 2025, 00:00Z = 02:00 local

describe('energyFromCounter', () => {
  // Last counter reading per hour: 1000 before the period, then 1010, 1025, 1025, 1040.
  const counter: Point[] = [[h(-1), 1000], [h(0), 1010], [h(1), 1025], [h(2), 1025], [h(3), 1040]];
  it('is the counter\'s rise from before the period to its end', () => {
    expect(energyFromCounter(counter, h(0), h(4), H)).toEqual({ kwh: 40, partial: false });
    expect(energyFromCounter(counter, h(0), h(2), H)).toEqual({ kwh: 25, partial: false });
    expect(energyFromCounter(counter, h(2), h(4), H)).toEqual({ kwh: 15, partial: false });
  });
  it('takes the first reading as baseline when there is none before, and says so', () => {
    expect(energyFromCounter(counter.slice(1), h(0), h(4), H)).toEqual({ kwh: 30, partial: true });
  });
  it('is partial when the meter went quiet before the end', () => {
    expect(energyFromCounter(counter, h(0), h(6), H)).toEqual({ kwh: 40, partial: true });
  });
  it('never counts a meter reset as negative energy', () => {
    expect(energyFromCounter([[h(-1), 500], [h(0), 510], [h(1), 3], [h(2), 8]], h(0), h(3), H)).toEqual({ kwh: 15, partial: false });
  });
  it('is null with no reading in the period', () => {
    expect(energyFromCounter([[h(-5), 1]], h(0), h(4), H)).toBeNull();
  });
});

describe('energyFromPower', () => {
  it('integrates mean power over the buckets', () => {
    // 15-minute means of 40, 40, 80, 80 kW over one hour: 10 + 10 + 20 + 20 = 60 kWh.
    const q = H / 4;
    const pts: Point[] = [[h(0), 40], [h(0) + q, 40], [h(0) + 2 * q, 80], [h(0) + 3 * q, 80]];
    expect(energyFromPower(pts, h(0), h(1), q)).toEqual({ kwh: 60, partial: false });
    expect(energyFromPower(pts.slice(1), h(0), h(1), q)).toEqual({ kwh: 50, partial: true });
  });
});

describe('baseload and peak', () => {
  it('is the lowest hourly mean between 00:00 and 05:00 local', () => {
    // h(-2) = 00:00 local Monday … h(2) = 04:00, h(3) = 05:00 (not night), h(20) = 22:00.
    const pts: Point[] = [[h(-2), 30], [h(-1), 25], [h(0), 21], [h(1), 24], [h(2), 26], [h(3), 12], [h(20), 5]];
    expect(baseloadKw(pts, h(-2), h(24))).toBe(21);
    expect(baseloadKw(pts, h(1), h(24))).toBe(24);
    expect(baseloadKw(pts, h(3), h(24))).toBeNull();
  });
  it('finds the peak within the period', () => {
    expect(peakOf([[h(0), 10], [h(1), 95.5], [h(9), 200]], h(0), h(5))).toBe(95.5);
  });
});

describe('ratios', () => {
  it('week on week is the relative change', () => {
    expect(weekOnWeek(110, 100)).toBeCloseTo(0.1);
    expect(weekOnWeek(75, 100)).toBeCloseTo(-0.25);
    expect(weekOnWeek(75, 0)).toBeNull();
    expect(weekOnWeek(null, 100)).toBeNull();
  });
  it('per area is kWh over m²', () => {
    expect(perArea(1500, 3000)).toBe(0.5);
    expect(perArea(null, 3000)).toBeNull();
  });
});
