import { describe, expect, it } from 'vitest';
import { byHourOfDay, byHourOfWeek, weekGrid } from './binning.js';
import type { Point } from './points.js';

const at = (iso: string, v: number): Point => [Date.parse(iso), v];

describe('byHourOfDay', () => {
  it('averages hourly means by Thessaloniki clock hour', () => {
    // 06:00Z and 06:00Z next day are 08:00 local in January (UTC+2); 07:00Z is 09:00.
    const bins = byHourOfDay([at('2025-01-06T06:00:00Z', 10), at('2025-01-07T06:00:00Z', 20), at('2025-01-06T07:00:00Z', 7)]);
    expect(bins.mean[8]).toBe(15);
    expect(bins.count[8]).toBe(2);
    expect(bins.mean[9]).toBe(7);
    expect(bins.mean[6]).toBeNull();
  });
});

describe('byHourOfWeek', () => {
  it('puts Monday 08:00 local of four weeks in one bin', () => {
    // Mondays of January 2025 at 08:00 local = 06:00Z.
    const pts = ['2025-01-06', '2025-01-13', '2025-01-20', '2025-01-27'].map((d, i) => at(`${d}T06:00:00Z`, 20 + i * 10));
    const bins = byHourOfWeek(pts);
    expect(bins.mean[8]).toBe(35);
    expect(bins.count[8]).toBe(4);
    expect(bins.count.reduce((a, b) => a + b, 0)).toBe(4);
  });

  it('follows the spring clock change: the hour after 02:00 on Sunday 30 March is 04:00', () => {
    // Sunday 2025-03-23 (winter) and 2025-03-30 (the change), hourly 23:00Z Saturday to 02:00Z.
    const pts = [
      at('2025-03-22T23:00:00Z', 40), at('2025-03-23T00:00:00Z', 41), at('2025-03-23T01:00:00Z', 42), at('2025-03-23T02:00:00Z', 43),
      at('2025-03-29T23:00:00Z', 50), at('2025-03-30T00:00:00Z', 51), at('2025-03-30T01:00:00Z', 52), at('2025-03-30T02:00:00Z', 53),
    ];
    const sun = weekGrid(byHourOfWeek(pts).mean)[6]!;
    // 23 March: 01:00, 02:00, 03:00, 04:00 local. 30 March: 01:00, 02:00, then 04:00 and 05:00 (EEST).
    expect(sun.slice(1, 6)).toEqual([45, 46, 42, (43 + 52) / 2, 53]);
  });

  it('follows the autumn change: two hours land on Sunday 03:00', () => {
    const pts = [at('2025-10-26T00:00:00Z', 30), at('2025-10-26T01:00:00Z', 60)];
    const bins = byHourOfWeek(pts);
    expect(bins.mean[6 * 24 + 3]).toBe(45);
    expect(bins.count[6 * 24 + 3]).toBe(2);
  });
});
