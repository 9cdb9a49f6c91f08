import { cityClock, DEFAULT_CITY_TZ } from '@cityhub/contracts';
import type { CityClock } from '@cityhub/contracts';

/**
 * The city's wall clock for the whole page: every local time, profile, heatmap and "night" is in the hub's zone
 * (`tz` of `GET /api/v1/config`, from `CITYHUB_TZ`), whatever zone the browser runs in. Europe/Athens until the
 * configuration is read; the page sets it once, before it draws anything.
 */
let current: CityClock = cityClock(DEFAULT_CITY_TZ);

/** The city's clock (`@cityhub/contracts`' `CityClock`). */
export function city(): CityClock {
  return current;
}

/** Sets the city's zone; a zone this browser does not know keeps the one in use (and says so on the console). */
export function setCityZone(zone: string): void {
  try {
    current = cityClock(zone);
  } catch (e) {
    console.warn(`time zone ${zone} unknown to this browser, showing ${current.zone}: ${(e as Error).message}`);
  }
}

/**
 * The instant the city's clocks showed the same date and time a year before `ms` (29 February: the 28th), so
 * "the same period a year earlier" covers the same local days and hours, whatever daylight saving did.
 */
export function yearEarlier(ms: number): number {
  const p = current.localParts(ms);
  const lastDay = new Date(Date.UTC(p.year - 1, p.month, 0)).getUTCDate();
  return current.fromLocal(p.year - 1, p.month, Math.min(p.day, lastDay), p.hour, p.minute, p.second, p.millisecond);
}
