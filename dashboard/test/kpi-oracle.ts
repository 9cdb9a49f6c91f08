/**
 * The city's KPIs recomputed from the raw readings a test published, by the test's own plain arithmetic: not
 * from `/series`, not by the API's `computeKpis`. Each follows the definition the API documents: hourly means
 * (the store's 1 h rollups keep sum and count, so a rollup's mean is the raw mean of its hour), over whole hours.
 */
import type { AssetCollection, AssetFeature } from '@cityhub/contracts';
import type { AssetReadings } from './publish.js';

const HOUR = 3_600_000;
const QUARTER = 15 * 60_000;
const YEAR = 365 * 24 * HOUR;
/** The main corridors, as the KPI is defined: links whose iMET path name names one of these roads. */
const CORRIDOR = /tsimiski|egnatia|lagada|monastiriou|karamanli|olgas|nikis|lampraki|labraki/i;

/** One KPI as the page should show it: value, comparison value, target (null: none yet), met. */
export interface ExpectedKpi { value: number | null; previous: number | null; target: number | null; met: boolean | null; comparedWith: string }

type Props = Record<string, number | string>;

/** The mean of each hour of [from, to) that has readings of `metric`. */
function hourlyMeans(r: AssetReadings, metric: string, from: number, to: number): number[] {
  const hours = new Map<number, { sum: number; n: number }>();
  for (const p of r.readings) {
    const v = p[metric];
    if (v === undefined || p.ts < from || p.ts >= to) continue;
    const h = Math.floor(p.ts / HOUR) * HOUR;
    const acc = hours.get(h) ?? { sum: 0, n: 0 };
    acc.sum += v;
    acc.n += 1;
    hours.set(h, acc);
  }
  return [...hours.values()].map((a) => a.sum / a.n);
}

export class KpiOracle {
  private readonly props = new Map<string, Props>();

  constructor(private readonly published: readonly AssetReadings[], catalogue: AssetCollection) {
    for (const f of catalogue.features as AssetFeature[]) this.props.set(f.id, f.properties as unknown as Props);
  }

  private of(kind: string): AssetReadings[] {
    return this.published.filter((r) => r.kind === kind);
  }

  private num(id: string, key: string): number {
    const v = this.props.get(id)?.[key];
    if (typeof v !== 'number') throw new Error(`${id} has no ${key}`);
    return v;
  }

  /** Length-weighted mean of 1 − speed ÷ free-flow (never below 0) over the link-hours with readings. */
  congestion(from: number, to: number): number | null {
    let num = 0, den = 0;
    for (const r of this.of('traffic')) {
      const len = this.num(r.asset, 'length_m');
      const ff = this.num(r.asset, 'free_flow_kmh');
      for (const m of hourlyMeans(r, 'speed_kmh', from, to)) {
        num += len * Math.max(0, 1 - m / ff);
        den += len;
      }
    }
    return den ? num / den : null;
  }

  /** Length-weighted mean speed over the corridor link-hours with readings. */
  corridorSpeed(from: number, to: number): number | null {
    let num = 0, den = 0;
    for (const r of this.of('traffic')) {
      if (!CORRIDOR.test(String(this.props.get(r.asset)?.name))) continue;
      const len = this.num(r.asset, 'length_m');
      for (const m of hourlyMeans(r, 'speed_kmh', from, to)) {
        num += len * m;
        den += len;
      }
    }
    return den ? num / den : null;
  }

  /** The sum over hotspot-hours of the mean number of clients. */
  clientHours(from: number, to: number): number | null {
    const means = this.of('wifi').flatMap((r) => hourlyMeans(r, 'clients', from, to));
    return means.length ? means.reduce((a, b) => a + b, 0) : null;
  }

  /** Quarter hours with a reading, over (hotspots that reported) × (quarter hours in the period). */
  availability(from: number, to: number): number | null {
    let reporting = 0, filled = 0;
    for (const r of this.of('wifi')) {
      const quarters = new Set(r.readings.filter((p) => p.clients !== undefined && p.ts >= from && p.ts < to).map((p) => Math.floor(p.ts / QUARTER)));
      if (quarters.size === 0) continue;
      reporting++;
      filled += quarters.size;
    }
    return reporting ? filled / (reporting * Math.ceil((to - from) / QUARTER)) : null;
  }

  /** kWh (hourly mean power × 1 h) of the buildings with readings, per m² of their floor area. */
  energyPerM2(from: number, to: number): number | null {
    let kwh = 0, m2 = 0;
    for (const r of this.of('energy')) {
      const means = hourlyMeans(r, 'power_kw', from, to);
      if (!means.length) continue;
      kwh += means.reduce((a, b) => a + b, 0);
      m2 += this.num(r.asset, 'floor_area_m2');
    }
    return m2 ? kwh / m2 : null;
  }

  /** Every KPI over [from, to) with its comparison period and target. */
  expected(from: number, to: number): Record<string, ExpectedKpi> {
    const len = to - from;
    const p = from - len;
    const judge = (value: number | null, target: number | null, below: boolean) =>
      value === null || target === null ? null : below ? value <= target : value >= target;
    const kpi = (value: number | null, previous: number | null, target: number | null, below: boolean, comparedWith = 'the period before'): ExpectedKpi =>
      ({ value, previous, target, met: judge(value, target, below), comparedWith });
    // Energy compares with a year before, or else the first recorded period of the same length.
    let enPrev = this.energyPerM2(from - YEAR, to - YEAR);
    let compared = 'the same period a year earlier';
    if (enPrev === null) {
      const hours = this.of('energy').flatMap((r) => r.readings.filter((p) => p.power_kw !== undefined && p.ts < from).map((p) => Math.floor(p.ts / HOUR) * HOUR));
      const first = hours.length ? Math.min(...hours) : null;
      if (first !== null) {
        enPrev = this.energyPerM2(first, Math.min(first + len, from));
        compared = `the first recorded period (from ${new Date(first).toISOString()})`;
      } else compared = 'nothing yet (no earlier energy data)';
    }
    const en = this.energyPerM2(from, to);
    return {
      congestion_index: kpi(this.congestion(from, to), this.congestion(p, from), 0.25, true),
      corridor_speed: kpi(this.corridorSpeed(from, to), this.corridorSpeed(p, from), 30, false),
      wifi_client_hours: kpi(this.clientHours(from, to), this.clientHours(p, from), 200 * (len / HOUR), false),
      wifi_availability: kpi(this.availability(from, to), this.availability(p, from), 0.98, false),
      energy_per_m2: kpi(en, enPrev, enPrev === null ? null : enPrev * 0.97, true, compared),
    };
  }
}
