import { describe, expect, it } from 'vitest';
import { availability } from './wifi.js';

const q = 15 * 60_000;
const t0 = Date.UTC(2025, 0, 1);

describe('availability', () => {
  it('is the share of 15-minute buckets with at least one reading', () => {
    // Two hours = 8 buckets; readings in 3 of them (one bucket reports a zero count: no reading).
    const counts = [[t0, 4], [t0 + q, 1], [t0 + 2 * q, 0], [t0 + 6 * q, 2], [t0 + 9 * q, 3]] as const;
    expect(availability(counts, t0, t0 + 8 * q, q)).toBe(3 / 8);
  });
  it('is 1 for a hotspot that reported in every bucket and 0 for a silent one', () => {
    expect(availability(Array.from({ length: 4 }, (_, i) => [t0 + i * q, 3] as const), t0, t0 + 4 * q, q)).toBe(1);
    expect(availability([], t0, t0 + 4 * q, q)).toBe(0);
  });
});
