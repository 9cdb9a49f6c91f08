import { describe, expect, it } from 'vitest';
import { kpiPeriod } from './period.js';

const at = (h: number, m = 0) => Date.UTC(2026, 10, 20, h, m);

describe('kpiPeriod', () => {
  it('ends a request at 08:16 at 08:00, the last complete hour, not at 09:00', () => {
    expect(kpiPeriod({}, at(8, 16))).toEqual({ from: at(8) - 24 * 3_600_000, to: at(8) });
  });

  it('never ends after now, whatever `to` asks for', () => {
    const now = at(8, 16);
    for (const to of [at(8, 16), at(8, 59), at(9), at(23)]) {
      const p = kpiPeriod({ to, from: at(0) }, now);
      expect(p.to).toBeLessThanOrEqual(now);
      expect(p.to).toBe(at(8));
      expect(p.from).toBe(at(0));
    }
  });

  it('ends a past period at the last whole hour before its end, and starts on a whole hour', () => {
    expect(kpiPeriod({ from: at(1, 16), to: at(5, 16) }, at(8, 16))).toEqual({ from: at(1), to: at(5) });
    expect(kpiPeriod({ to: at(5) }, at(8, 16))).toEqual({ from: at(5) - 24 * 3_600_000, to: at(5) });
  });

  it('refuses a period without a complete hour before now, or longer than 366 days', () => {
    expect(() => kpiPeriod({ from: at(8, 5) }, at(8, 16))).toThrow(/complete hour/);
    expect(() => kpiPeriod({ from: at(8) - 367 * 86_400_000 }, at(8, 16))).toThrow(/366 days/);
  });
});
