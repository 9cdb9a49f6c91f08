import { describe, expect, it } from 'vitest';
import { formatLocal, fromLocal, fromLocalInput, hourOfWeek, localHour, localParts, toLocalInput, utcOffsetMinutes } from './athens.js';

const utc = (s: string) => Date.parse(s);

describe('Thessaloniki local time', () => {
  it('is UTC+2 in winter and UTC+3 in summer', () => {
    expect(utcOffsetMinutes(utc('2025-01-15T12:00:00Z'))).toBe(120);
    expect(utcOffsetMinutes(utc('2025-07-15T12:00:00Z'))).toBe(180);
    expect(localParts(utc('2025-01-15T12:34:00Z'))).toEqual({ year: 2025, month: 1, day: 15, hour: 14, minute: 34, dow: 2 });
  });

  it('skips 03:00 on the last Sunday of March', () => {
    // 2025-03-30: 00:00Z is 02:00 EET, 01:00Z is already 04:00 EEST.
    expect(localHour(utc('2025-03-30T00:00:00Z'))).toBe(2);
    expect(localHour(utc('2025-03-30T01:00:00Z'))).toBe(4);
    expect(hourOfWeek(utc('2025-03-30T00:59:00Z'))).toBe(6 * 24 + 2);
    expect(hourOfWeek(utc('2025-03-30T01:00:00Z'))).toBe(6 * 24 + 4);
  });

  it('shows 03:00 twice on the last Sunday of October', () => {
    expect(hourOfWeek(utc('2025-10-26T00:00:00Z'))).toBe(6 * 24 + 3);
    expect(hourOfWeek(utc('2025-10-26T01:00:00Z'))).toBe(6 * 24 + 3);
    expect(hourOfWeek(utc('2025-10-25T22:00:00Z'))).toBe(6 * 24 + 1);
  });

  it('numbers the week from Monday midnight, local', () => {
    // Monday 2025-01-06 00:00 local is Sunday 22:00 UTC.
    expect(hourOfWeek(utc('2025-01-05T22:00:00Z'))).toBe(0);
    expect(hourOfWeek(utc('2025-01-05T21:59:00Z'))).toBe(167);
  });

  it('reads wall times back, across both changes', () => {
    expect(fromLocal(2025, 1, 15, 14, 34)).toBe(utc('2025-01-15T12:34:00Z'));
    expect(fromLocal(2025, 7, 15, 15, 0)).toBe(utc('2025-07-15T12:00:00Z'));
    expect(fromLocal(2025, 3, 30, 4, 0)).toBe(utc('2025-03-30T01:00:00Z'));
    // 03:30 does not exist that morning: read with the winter offset, it is 04:30 summer time.
    expect(fromLocal(2025, 3, 30, 3, 30)).toBe(utc('2025-03-30T01:30:00Z'));
    // 03:30 happens twice in October: the first one (summer time).
    expect(fromLocal(2025, 10, 26, 3, 30)).toBe(utc('2025-10-26T00:30:00Z'));
  });

  it('round-trips the datetime-local format and formats for people', () => {
    const t = utc('2025-11-04T06:15:00Z');
    expect(toLocalInput(t)).toBe('2025-11-04T08:15');
    expect(fromLocalInput('2025-11-04T08:15')).toBe(t);
    expect(fromLocalInput('yesterday')).toBeNull();
    expect(formatLocal(t)).toBe('Tue 4 Nov, 08:15');
  });
});
