import { describe, expect, it } from 'vitest';
import { cityClock, CityClock, isTimeZone } from './city-time.js';
import { parseConfig } from './config.js';

const athens = cityClock('Europe/Athens');

describe('city time', () => {
  it('gives Thessaloniki wall time across both daylight-saving changes', () => {
    // 2026-03-29 03:00 EET becomes 04:00 EEST at 01:00 UTC; 2026-10-25 04:00 EEST becomes 03:00 EET at 01:00 UTC.
    expect(athens.offsetMinutes(Date.UTC(2026, 2, 29, 0, 59))).toBe(120);
    expect(athens.offsetMinutes(Date.UTC(2026, 2, 29, 1, 0))).toBe(180);
    expect(athens.offsetMinutes(Date.UTC(2026, 9, 25, 0, 59))).toBe(180);
    expect(athens.offsetMinutes(Date.UTC(2026, 9, 25, 1, 0))).toBe(120);
    expect(athens.localParts(Date.UTC(2026, 11, 5, 6, 30))).toMatchObject({ year: 2026, month: 12, day: 5, hour: 8, minute: 30, dow: 5, weekday: 6 });
    expect(athens.dayKey(Date.UTC(2026, 11, 4, 22, 0))).toBe('2026-12-05');
    expect(athens.hourOfWeek(Date.UTC(2026, 11, 6, 21, 30))).toBe(167);
  });

  it('makes local days 23 and 25 hours long where the clocks change', () => {
    const len = (y: number, m: number, d: number) => athens.fromLocal(y, m, d + 1) - athens.fromLocal(y, m, d);
    expect(len(2026, 3, 29)).toBe(23 * 3_600_000);
    expect(len(2026, 10, 25)).toBe(25 * 3_600_000);
    expect(len(2026, 12, 5)).toBe(24 * 3_600_000);
    const day = athens.dayNumber(Date.UTC(2026, 2, 29, 12));
    expect(athens.dayStart(day)).toBe(Date.UTC(2026, 2, 28, 22));
    expect(athens.startOfDay(Date.UTC(2026, 9, 25, 20))).toBe(Date.UTC(2026, 9, 24, 21));
  });

  it('reads skipped and doubled wall times the documented way', () => {
    // 03:30 does not exist on 29 March: read with the winter offset, it is 04:30 summer time.
    expect(athens.fromLocal(2026, 3, 29, 3, 30)).toBe(Date.UTC(2026, 2, 29, 1, 30));
    // 03:30 happens twice on 25 October: the first one (summer time).
    expect(athens.fromLocal(2026, 10, 25, 3, 30)).toBe(Date.UTC(2026, 9, 25, 0, 30));
    for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2027, 0, 1); t += 97 * 60_000) {
      const p = athens.localParts(t);
      const back = athens.fromLocal(p.year, p.month, p.day, p.hour, p.minute, p.second, p.millisecond);
      // Every wall time reads back to its instant, except the second pass of autumn's doubled hour (the first wins).
      expect(back === t || (back === t - 3_600_000 && athens.offsetMinutes(t) === 120 && athens.offsetMinutes(back) === 180)).toBe(true);
    }
  });

  it('works for zones whose offset is not a whole hour', () => {
    const kathmandu = cityClock('Asia/Kathmandu');
    expect(kathmandu.offsetMinutes(Date.UTC(2026, 5, 1))).toBe(345);
    expect(kathmandu.dayKey(Date.UTC(2026, 5, 1, 18, 14))).toBe('2026-06-01');
    expect(kathmandu.dayKey(Date.UTC(2026, 5, 1, 18, 15))).toBe('2026-06-02');
    expect(kathmandu.hour(Date.UTC(2026, 5, 1, 18, 15))).toBe(0);
    // Lord Howe moves by half an hour: +10:30 in winter, +11:00 in summer (first Sunday of April, 02:00 local).
    const lordHowe = cityClock('Australia/Lord_Howe');
    expect(lordHowe.offsetMinutes(Date.UTC(2026, 6, 1))).toBe(630);
    expect(lordHowe.offsetMinutes(Date.UTC(2026, 0, 1))).toBe(660);
    const adelaide = cityClock('Australia/Adelaide');
    expect(adelaide.fromLocal(2026, 6, 1, 9, 30)).toBe(Date.UTC(2026, 6 - 1, 1, 0, 0));
  });

  it('formats and reads the date box in the city time', () => {
    const t = Date.UTC(2026, 11, 5, 6, 30);
    expect(athens.toLocalInput(t)).toBe('2026-12-05T08:30');
    expect(athens.fromLocalInput('2026-12-05T08:30')).toBe(t);
    expect(athens.fromLocalInput('2026-12-05')).toBe(Date.UTC(2026, 11, 4, 22));
    expect(athens.fromLocalInput('yesterday')).toBeNull();
    expect(athens.format(t)).toBe('Sat 5 Dec, 08:30');
  });

  it('refuses unknown zones, in code and in configuration', () => {
    expect(isTimeZone('Europe/Athens')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
    expect(() => new CityClock('Mars/Olympus')).toThrow(RangeError);
    expect(parseConfig({}).CITYHUB_TZ).toBe('Europe/Athens');
    expect(parseConfig({ CITYHUB_TZ: 'Asia/Kathmandu' }).CITYHUB_TZ).toBe('Asia/Kathmandu');
    expect(() => parseConfig({ CITYHUB_TZ: 'Mars/Olympus' })).toThrow(/CITYHUB_TZ: an IANA time zone/);
  });
});
