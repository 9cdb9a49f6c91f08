import { afterEach, describe, expect, it } from 'vitest';
import { city, setCityZone, yearEarlier } from './city.js';

describe('the city clock', () => {
  afterEach(() => setCityZone('Europe/Athens'));

  it('is Athens until the configuration names a zone, then that zone; an unknown zone keeps the one in use', () => {
    const t = Date.parse('2026-01-15T10:00:00Z');
    expect(city().zone).toBe('Europe/Athens');
    expect(city().hour(t)).toBe(12);
    setCityZone('Asia/Kathmandu');
    expect(city().toLocalInput(t)).toBe('2026-01-15T15:45');
    setCityZone('Mars/Olympus');
    expect(city().zone).toBe('Asia/Kathmandu');
  });

  it('goes back a year to the same local date and time, whatever daylight saving did (29 February: the 28th)', () => {
    // Local midnight of 1 April 2026 (summer time, +03:00) a year earlier: 1 April 2025, also summer time.
    expect(new Date(yearEarlier(Date.parse('2026-03-31T21:00:00Z'))).toISOString()).toBe('2025-03-31T21:00:00.000Z');
    // 29 March 2026, 12:00 (summer time since 04:00) → 29 March 2025, 12:00, still winter time (+02:00): an hour later in UTC.
    expect(new Date(yearEarlier(Date.parse('2026-03-29T09:00:00Z'))).toISOString()).toBe('2025-03-29T10:00:00.000Z');
    // 29 February 2028, 08:00 → 28 February 2027, 08:00.
    expect(new Date(yearEarlier(Date.parse('2028-02-29T06:00:00Z'))).toISOString()).toBe('2027-02-28T06:00:00.000Z');
  });
});
