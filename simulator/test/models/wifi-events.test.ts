import type { HotspotProperties } from '@cityhub/contracts';
import { assetsOfKind } from '@cityhub/contracts/catalogue';
import { describe, expect, it } from 'vitest';
import { eventCrowd, wifiAt, wifiEventAt, wifiEventOn } from '../../src/models/wifi.js';
import { athensDay, athensInstant, athensTime } from './athens.js';

const hotspots = assetsOfKind('wifi').map((f) => f.properties as HotspotProperties);
const hotspot = (id: string) => hotspots.find((h) => h.id === id)!;
const FIRST = athensDay(athensInstant(2025, 3, 3, 12)); // Monday 3 March 2025
const DAYS = 84;
const days = Array.from({ length: DAYS }, (_, i) => FIRST + i);
const isWeekend = (day: number) => [0, 6].includes(athensTime(athensInstant(2025, 3, 3, 12) + (day - FIRST) * 86_400_000).weekday);

describe('Wi-Fi evening events', () => {
  const stadium = hotspot('hotspot-toumba-stadium');

  it('happen on some evenings at sports venues, more often at weekends, never at museums', () => {
    const events = days.map((d) => ({ d, e: wifiEventOn(stadium, d) }));
    const weekday = events.filter((x) => !isWeekend(x.d));
    const weekend = events.filter((x) => isWeekend(x.d));
    const rate = (xs: typeof events) => xs.filter((x) => x.e).length / xs.length;
    expect(rate(weekday)).toBeGreaterThan(0.05);
    expect(rate(weekday)).toBeLessThan(0.4);
    expect(rate(weekend)).toBeGreaterThan(rate(weekday));
    for (const h of hotspots.filter((x) => x.category === 'museum')) {
      expect(days.every((d) => wifiEventOn(h, d) === null)).toBe(true);
    }
    const culture = hotspots.filter((x) => x.category === 'culture');
    expect(culture.length).toBeGreaterThan(0);
    expect(culture.some((h) => days.some((d) => wifiEventOn(h, d) !== null))).toBe(true);
  });

  it('start between 18:30 and 20:30 local time, last 2–3 hours and fill the venue', () => {
    let seen = 0;
    for (const h of hotspots) {
      for (const d of days) {
        const e = wifiEventOn(h, d);
        if (!e) continue;
        seen++;
        const start = athensTime(e.start);
        expect(athensDay(e.start)).toBe(d);
        expect(start.minutes).toBeGreaterThanOrEqual(18 * 60 + 30);
        expect(start.minutes).toBeLessThanOrEqual(20 * 60 + 30);
        expect(e.end - e.start).toBeGreaterThanOrEqual(120 * 60_000);
        expect(e.end - e.start).toBeLessThanOrEqual(181 * 60_000);
        expect(e.attendance).toBeGreaterThanOrEqual(0.7);
        expect(e.attendance).toBeLessThanOrEqual(1);
        const mid = (e.start + e.end) / 2;
        expect(wifiEventAt(h, mid)).toEqual(e);
        // The crowd is there: at least 70 % × (1 − 20 % noise) of capacity, far above an ordinary evening.
        const withEvent = wifiAt(h, mid).clients;
        expect(withEvent).toBeGreaterThanOrEqual(Math.floor(h.capacity * 0.7 * 0.8) - 1);
        expect(withEvent).toBeGreaterThanOrEqual(wifiAt(h, mid, { events: false }).clients);
        // Arriving an hour before, gone half an hour after.
        expect(eventCrowd(e, e.start - 61 * 60_000)).toBe(0);
        expect(eventCrowd(e, e.start - 30 * 60_000)).toBeCloseTo(e.attendance / 2, 9);
        expect(eventCrowd(e, e.end + 31 * 60_000)).toBe(0);
        expect(wifiAt(h, e.start - 2 * 3_600_000)).toEqual(wifiAt(h, e.start - 2 * 3_600_000, { events: false }));
      }
    }
    expect(seen).toBeGreaterThan(30);
  });

  it('are drawn per venue and day from a seed: deterministic, and another seed gives other days', () => {
    const list = (seed: number) => days.map((d) => wifiEventOn(stadium, d, seed)?.start ?? null);
    expect(list(0)).toEqual(list(0));
    expect(list(1)).not.toEqual(list(0));
    const t = wifiEventOn(stadium, days.find((d) => wifiEventOn(stadium, d))!)!.start + 600_000;
    expect(wifiAt(stadium, t)).toEqual(wifiAt({ ...stadium }, t));
  });
});
