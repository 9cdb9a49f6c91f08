import { describe, expect, it } from 'vitest';
import { congestionIndex, linkCongestion } from './congestion.js';

describe('congestion', () => {
  it('is 1 − speed/free-flow, clamped', () => {
    expect(linkCongestion(25, 50)).toBe(0.5);
    expect(linkCongestion(90, 80)).toBe(0);
    expect(linkCongestion(0, 50)).toBe(1);
    expect(linkCongestion(10, 0)).toBe(0);
  });

  it('weighs links by length, over the links that reported in each bucket', () => {
    const links = new Map([['a', { length_m: 1000, free_flow_kmh: 50 }], ['b', { length_m: 3000, free_flow_kmh: 80 }]]);
    const t0 = 0, t1 = 900_000, t2 = 1_800_000;
    const speeds = new Map([
      ['a', [[t0, 25], [t1, 50], [t2, 10]] as const],
      ['b', [[t0, 80], [t1, 20]] as const],
      ['unknown', [[t0, 0]] as const],
    ]);
    // t0: (1000·0.5 + 3000·0)/4000 = 0.125; t1: (1000·0 + 3000·0.75)/4000 = 0.5625; t2: only a, 1 − 10/50 = 0.8.
    expect(congestionIndex(speeds, links)).toEqual([
      { t: t0, index: 0.125, links: 2, lengthM: 4000 },
      { t: t1, index: 0.5625, links: 2, lengthM: 4000 },
      { t: t2, index: 0.8, links: 1, lengthM: 1000 },
    ]);
  });
});
