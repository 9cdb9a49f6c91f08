import { describe, expect, it } from 'vitest';
import { hoverLines } from './chart-hover.js';

describe('hoverLines', () => {
  it('gives the Thessaloniki time on a 24-hour clock, then each series with its value and unit', () => {
    // 2025-07-01 15:45 UTC is 18:45 in Thessaloniki (EEST).
    const x = Date.UTC(2025, 6, 1, 15, 45) / 1000;
    const spec = { time: true, unit: 'km/h', labels: ['This week', 'Last week'], format: (v: number) => v.toFixed(1) };
    expect(hoverLines(spec, x, [42.25, null])).toEqual(['Tue 1 Jul, 18:45', 'This week: 42.3 km/h', 'Last week: no data']);
  });

  it('does not repeat a unit the format already gives', () => {
    const spec = { time: true, unit: '%', labels: ['Congestion index'], format: (v: number) => `${v.toFixed(1)} %` };
    expect(hoverLines(spec, 0, [16.12])[1]).toBe('Congestion index: 16.1 %');
  });

  it('labels a chart that is not over time by its x ticks', () => {
    const spec = { time: false, unit: 'kW', labels: ['Mean power'], format: (v: number) => String(v), xLabel: (h: number) => `${h}h` };
    expect(hoverLines(spec, 8, [12])).toEqual(['8h', 'Mean power: 12 kW']);
  });
});
