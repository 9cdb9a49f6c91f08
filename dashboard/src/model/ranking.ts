import type { BuildingProperties } from '@cityhub/contracts';
import { baseloadKw, daytimeMeanKw, energyFromCounter, energyFromPower, peakOf, perArea, weekOnWeek } from './energy.js';
import type { Consumption } from './energy.js';
import type { Point } from './points.js';
import { HOUR_MS, WEEK_MS } from '../time/time-query.js';

/** The hourly series the energy ranking is computed from, per building id. */
export interface EnergyInputs {
  /** Meter counter, last value per hour (`energy_kwh`, `agg=last`), from an hour before the earliest period. */
  counter: ReadonlyMap<string, readonly Point[]>;
  /** Mean power per hour (`power_kw`, `agg=mean`). */
  meanPower: ReadonlyMap<string, readonly Point[]>;
  /** Highest power per hour (`power_kw`, `agg=max`). */
  maxPower: ReadonlyMap<string, readonly Point[]>;
}

/** One building's line in the ranking over a period. */
export interface BuildingRow {
  id: string;
  name: string;
  use: string;
  floorAreaM2: number;
  kwh: number | null;
  kwhPerM2: number | null;
  baseloadKw: number | null;
  /** Night baseload per m² of floor area, W/m²: comparable across buildings of any size. */
  baseloadWPerM2: number | null;
  /** Night baseload as a share of the daytime (08:00–20:00) mean power. */
  baseloadShare: number | null;
  peakKw: number | null;
  /** Energy in the 7 days up to the period's end against the 7 days before. */
  weekOnWeek: number | null;
  /** Energy over the period against the period of the same length just before it (null when that one is partial). */
  vsPrevious: number | null;
  /** Energy over the period against the same local dates and hours a year earlier (null when that one is partial or empty). */
  vsYearAgo: number | null;
  /** What the store holds a year earlier: nothing (`none`: "no data a year ago"), part of the period, or all of it. */
  yearAgo: 'none' | 'partial' | 'full';
  /** Some of the period has no data (the figure is a lower bound). */
  partial: boolean;
  /** Where the energy came from: the meter counter, or mean power integrated when there is no counter. */
  source: 'counter' | 'power' | null;
}

/** The same period a year earlier: its bounds and the series read over it (counter from an hour before). */
export interface YearAgo {
  from: number;
  to: number;
  inputs: Pick<EnergyInputs, 'counter' | 'meanPower'>;
}

/** Energy over [from, to) from the counter, or from mean power when the meter sends no counter. */
export function buildingEnergy(inputs: Pick<EnergyInputs, 'counter' | 'meanPower'>, id: string, from: number, to: number): (Consumption & { source: 'counter' | 'power' }) | null {
  const c = energyFromCounter(inputs.counter.get(id) ?? [], from, to, HOUR_MS);
  if (c) return { ...c, source: 'counter' };
  const p = energyFromPower(inputs.meanPower.get(id) ?? [], from, to, HOUR_MS);
  return p ? { ...p, source: 'power' } : null;
}

/**
 * Every building's figures over [from, to) (hour-aligned), in catalogue order; against the same period a year
 * earlier when `yearAgo` holds its series (without it, every building has "no data a year ago").
 */
export function buildingRows(buildings: readonly BuildingProperties[], inputs: EnergyInputs, from: number, to: number, yearAgo?: YearAgo | null): BuildingRow[] {
  return buildings.map((b) => {
    const e = buildingEnergy(inputs, b.id, from, to);
    const lastYear = yearAgo ? buildingEnergy(yearAgo.inputs, b.id, yearAgo.from, yearAgo.to) : null;
    const thisWeek = buildingEnergy(inputs, b.id, to - WEEK_MS, to);
    const lastWeek = buildingEnergy(inputs, b.id, to - 2 * WEEK_MS, to - WEEK_MS);
    const previous = buildingEnergy(inputs, b.id, 2 * from - to, from);
    const power = inputs.meanPower.get(b.id) ?? [];
    const base = baseloadKw(power, from, to);
    const day = daytimeMeanKw(power, from, to);
    return {
      id: b.id, name: b.name, use: b.use, floorAreaM2: b.floor_area_m2,
      kwh: e?.kwh ?? null,
      kwhPerM2: perArea(e?.kwh, b.floor_area_m2),
      baseloadKw: base,
      baseloadWPerM2: base === null || !(b.floor_area_m2 > 0) ? null : (base * 1000) / b.floor_area_m2,
      baseloadShare: base === null || !day ? null : base / day,
      peakKw: peakOf(inputs.maxPower.get(b.id) ?? [], from, to),
      weekOnWeek: lastWeek?.partial ? null : weekOnWeek(thisWeek?.kwh, lastWeek?.kwh),
      vsPrevious: previous?.partial ? null : weekOnWeek(e?.kwh, previous?.kwh),
      vsYearAgo: lastYear?.partial ? null : weekOnWeek(e?.kwh, lastYear?.kwh),
      yearAgo: lastYear ? (lastYear.partial ? 'partial' : 'full') : 'none',
      partial: e?.partial ?? false,
      source: e?.source ?? null,
    };
  });
}

/** The sortable columns of the ranking. */
export type RankKey = 'name' | 'kwh' | 'kwhPerM2' | 'baseloadKw' | 'baseloadWPerM2' | 'baseloadShare' | 'peakKw' | 'weekOnWeek' | 'vsPrevious' | 'vsYearAgo';

/** Rows sorted by `key` (descending for numbers, A–Z for names unless `ascending` says otherwise); blanks last. */
export function sortRows(rows: readonly BuildingRow[], key: RankKey, ascending = key === 'name'): BuildingRow[] {
  const dir = ascending ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = a[key], y = b[key];
    if (x === null && y === null) return a.name.localeCompare(b.name);
    if (x === null) return 1;
    if (y === null) return -1;
    const c = typeof x === 'string' ? x.localeCompare(y as string) : x - (y as number);
    return c * dir || a.name.localeCompare(b.name);
  });
}
