import { cityClock, type BuildingProperties, type CityClock, type EnergyReading } from '@cityhub/contracts';
import { dayType, dayWindow, hm, localTime, type DayType } from './day.js';
import { clamp, jitter, param, round, seedOf, smooth } from './noise.js';

/*
 * Energy model of one building meter (the city's local time: Europe/Athens unless CITYHUB_TZ says otherwise).
 *
 * - Peak demand = floor_area_m2 × load intensity by use (museum 60 W/m², culture 70, sports 50, market 80,
 *   transport 60, otherwise 60), never above the building's power_limit_kw.
 * - Occupancy o(t) in [0, 1] by use and day type (30-minute ramps):
 *   museum 09:00–17:00 daily; culture 10:00–18:00 (0.6) and events 19:00–23:00 (1.0); sports 08:00–16:00
 *   (0.3), floodlit evenings 16:00–23:00 (0.8; weekends 12:00–23:00 at 1.0); market 07:00–21:00 Monday to
 *   Saturday, closed Sunday; transport 05:00–24:00 (0.9) daily; otherwise 08:00–20:00 on weekdays.
 * - Night baseload: a fraction b of peak drawn per building in [0.25, 0.35] (ventilation, servers, lights,
 *   refrigeration): power = peak × (b + (1 − b) × o).
 * - Heating and cooling on top: heating months (November–March) +18 % of that, strongest 06:00–10:00 (warm
 *   up) and 17:00–21:00; cooling months (June–September) +22 %, strongest 13:00–18:00; April, May and
 *   October +5 %. Half strength when the building is empty.
 * - Slow noise (20-minute value noise, ±4 %) and reading scatter (±2 %).
 * - Stories to find (README "Simulated city"): the night-waster ({@link NIGHT_WASTER}) keeps 85 % of its
 *   peak on at night (lights and heating left on), the highest night baseload per m² of the city though far
 *   from the highest in kW; the retrofitted building ({@link RETROFITTED}) draws {@link RETROFIT_FACTOR} of its
 *   former power from the fleet's `retrofitAt` on (insulation, LED lighting, heat pumps): a step down.
 * - energy_kwh: the meter counter, the integral of power over time, from a baseline the first time the
 *   simulator sees the meter (power limit × time since installation, so a meter that lost its saved state
 *   never reads lower than before). It is integrated on a fixed 5-minute
 *   grid (trapezoids between grid points of the power without reading scatter), so the energy over [a, c]
 *   equals the energy over [a, b] plus [b, c] whatever the reading times: the counter continues exactly
 *   after a restart and never decreases.
 */

const LOAD_W_PER_M2: Record<string, number> = { museum: 60, culture: 70, sports: 50, market: 80, transport: 60 };

/** The building that wastes energy at night, and the share of its peak it keeps on then. */
export const NIGHT_WASTER = 'building-hamza-bey-mosque-alcazar';
export const NIGHT_WASTER_BASELOAD = 0.85;
/** The building retrofitted during the history, and its power after the retrofit as a share of before. */
export const RETROFITTED = 'building-white-tower';
export const RETROFIT_FACTOR = 0.7;

interface Win { start: number; end: number; level: number }
const same = (w: Win[]): Record<DayType, Win[]> => ({ weekday: w, saturday: w, sunday: w });
const OCCUPANCY: Record<string, Record<DayType, Win[]>> = {
  museum: same([{ start: hm(9), end: hm(17), level: 1 }]),
  culture: same([{ start: hm(10), end: hm(18), level: 0.6 }, { start: hm(19), end: hm(23), level: 1 }]),
  sports: {
    weekday: [{ start: hm(8), end: hm(16), level: 0.3 }, { start: hm(16), end: hm(23), level: 0.8 }],
    saturday: [{ start: hm(8), end: hm(12), level: 0.3 }, { start: hm(12), end: hm(23), level: 1 }],
    sunday: [{ start: hm(8), end: hm(12), level: 0.3 }, { start: hm(12), end: hm(23), level: 1 }],
  },
  market: { weekday: [{ start: hm(7), end: hm(21), level: 1 }], saturday: [{ start: hm(7), end: hm(21), level: 1 }], sunday: [] },
  transport: same([{ start: hm(5), end: hm(24), level: 0.9 }]),
  default: { weekday: [{ start: hm(8), end: hm(20), level: 1 }], saturday: [], sunday: [] },
};

/**
 * Per-building constants, the city clock its daily pattern follows, and when it was retrofitted (null:
 * never; only {@link RETROFITTED} is).
 */
export interface BuildingParams { seed: number; peakKw: number; baseload: number; clock: CityClock; retrofitAt: number | null }

/**
 * The per-building constants of the energy model, drawn from the building id, on `clock` (default
 * Europe/Athens); `retrofitAt` is when {@link RETROFITTED} was retrofitted (null: not in this history).
 */
export function buildingParams(b: BuildingProperties, clock: CityClock = cityClock(), retrofitAt: number | null = null): BuildingParams {
  const seed = seedOf(b.id);
  const peakKw = Math.min(b.floor_area_m2 * (LOAD_W_PER_M2[b.use] ?? 60) / 1000, b.power_limit_kw);
  const baseload = b.id === NIGHT_WASTER ? NIGHT_WASTER_BASELOAD : param(seed, 1, 0.25, 0.35);
  return { seed, peakKw, baseload, clock, retrofitAt: b.id === RETROFITTED ? retrofitAt : null };
}

/** Occupancy o in [0, 1] of a building use at local minutes `m` of a day type. */
export function buildingOccupancy(use: string, day: DayType, m: number): number {
  let o = 0;
  for (const w of (OCCUPANCY[use] ?? OCCUPANCY.default!)[day]) o = Math.max(o, w.level * dayWindow(m, w.start, w.end));
  return o;
}

/** The heating or cooling share on top of the base demand at a month and local minutes. */
export function hvacShare(month: number, m: number): number {
  if (month >= 11 || month <= 3) return 0.18 * Math.max(0.4, dayWindow(m, hm(6), hm(10), 60), dayWindow(m, hm(17), hm(21), 60));
  if (month >= 6 && month <= 9) return 0.22 * Math.max(0.3, dayWindow(m, hm(13), hm(18), 90));
  return 0.05;
}

/** Power (kW) without the per-reading scatter: what the meter counter integrates. */
export function smoothPowerKw(b: BuildingProperties, t: number, p: BuildingParams = buildingParams(b)): number {
  const lt = localTime(p.clock, t);
  const o = buildingOccupancy(b.use, dayType(lt.weekday), lt.minutes);
  const hvac = hvacShare(lt.month, lt.minutes) * (0.5 + 0.5 * o);
  const retrofit = p.retrofitAt !== null && t >= p.retrofitAt ? RETROFIT_FACTOR : 1;
  const kw = retrofit * p.peakKw * (p.baseload + (1 - p.baseload) * o) * (1 + hvac) * (1 + 0.04 * smooth(p.seed, t, 20 * 60_000));
  return clamp(kw, 0, b.power_limit_kw);
}

/** The power (kW) one reading reports at instant `t`. */
export function powerAt(b: BuildingProperties, t: number, p: BuildingParams = buildingParams(b)): number {
  return round(clamp(smoothPowerKw(b, t, p) * (1 + 0.02 * jitter(p.seed, t)), 0, b.power_limit_kw), 2);
}

const GRID_MS = 5 * 60_000;
const MS_PER_HOUR = 3_600_000;

/**
 * Energy (kWh) used between instants `from` and `to` (0 if `to` ≤ `from`): the integral of the power
 * interpolated linearly between the points of a fixed 5-minute grid, hence additive over any split.
 */
export function energyBetween(b: BuildingProperties, from: number, to: number, p: BuildingParams = buildingParams(b)): number {
  if (!(to > from)) return 0;
  let kwhMs = 0;
  let k = Math.floor(from / GRID_MS);
  let p0 = smoothPowerKw(b, k * GRID_MS, p);
  for (; k * GRID_MS < to; k++) {
    const g0 = k * GRID_MS;
    const g1 = g0 + GRID_MS;
    const p1 = smoothPowerKw(b, g1, p);
    const a = Math.max(from, g0);
    const c = Math.min(to, g1);
    const pa = p0 + ((p1 - p0) * (a - g0)) / GRID_MS;
    const pc = p0 + ((p1 - p0) * (c - g0)) / GRID_MS;
    kwhMs += ((pa + pc) / 2) * (c - a);
    p0 = p1;
  }
  return kwhMs / MS_PER_HOUR;
}

/** When the simulated meters were installed. */
const METERS_INSTALLED = Date.UTC(2024, 0, 1);

/**
 * The reading of a meter first switched on in the simulator at instant `t`: the energy the building would
 * have used since installation at its power limit. Since power never exceeds the limit, a meter that lost
 * its saved counter and starts again from here is never below anything it reported before.
 */
export function meterBaselineKwh(b: BuildingProperties, t: number): number {
  return (b.power_limit_kw * Math.max(0, t - METERS_INSTALLED)) / MS_PER_HOUR;
}

/** The metrics of one energy reading: every metric of the contract's energy reading. */
export type EnergyMetrics = Required<Omit<EnergyReading, 'ts' | 'seq'>>;

/**
 * One energy reading: power at `t`, and the counter advanced from `prev` (its value `prevKwh` at instant
 * `prevTs`). Returns the new counter state with the metrics; the counter never decreases.
 */
export function energyAt(b: BuildingProperties, t: number, prevTs: number, prevKwh: number, p: BuildingParams = buildingParams(b)):
  { metrics: EnergyMetrics; kwh: number; ts: number } {
  const kwh = prevKwh + energyBetween(b, prevTs, t, p);
  return { metrics: { power_kw: powerAt(b, t, p), energy_kwh: round(kwh, 3) }, kwh, ts: Math.max(t, prevTs) };
}
