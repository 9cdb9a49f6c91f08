import type { AssetFeature, Kind, Kpi } from '@cityhub/contracts';
import type { SeriesResult, Store } from '@cityhub/store';

/** One KPI: its value over a period, its target, and the previous period for the trend. */
export type { Kpi } from '@cityhub/contracts';

const HOUR = 3_600_000;
/** The main corridors of the city, by name in the iMET path names. */
export const CORRIDOR = /tsimiski|egnatia|lagada|monastiriou|karamanli|olgas|nikis|lampraki|labraki/i;

type Props = Record<string, unknown>;
const assetsOf = (cat: readonly AssetFeature[], kind: Kind) => cat.filter((f) => f.properties.kind === kind);

async function hourly(store: Store, assets: string[], metric: string, from: number, to: number, agg: 'mean' | 'count' = 'mean', stepS = 3_600): Promise<SeriesResult[]> {
  return assets.length ? store.series({ assets, metric, from, to, stepS, agg }) : [];
}

/** Length-weighted share of lost speed, 1 − speed / free-flow, over every link-hour with data (0 = free flow). */
export async function congestionIndex(store: Store, links: readonly AssetFeature[], from: number, to: number): Promise<number | null> {
  const rows = await hourly(store, links.map((l) => l.id), 'speed_kmh', from, to);
  const props = new Map(links.map((l) => [l.id, l.properties as Props]));
  let num = 0;
  let den = 0;
  for (const r of rows) {
    const p = props.get(r.asset)!;
    const len = p.length_m as number;
    const ff = p.free_flow_kmh as number;
    for (const [, v] of r.points) {
      num += len * Math.max(0, 1 - v / ff);
      den += len;
    }
  }
  return den ? num / den : null;
}

/** Length-weighted mean speed of the corridor links over their link-hours with data. */
export async function corridorSpeed(store: Store, links: readonly AssetFeature[], from: number, to: number): Promise<number | null> {
  const corridor = links.filter((l) => CORRIDOR.test((l.properties as Props).name as string));
  const rows = await hourly(store, corridor.map((l) => l.id), 'speed_kmh', from, to);
  const len = new Map(corridor.map((l) => [l.id, (l.properties as Props).length_m as number]));
  let num = 0;
  let den = 0;
  for (const r of rows) for (const [, v] of r.points) { num += len.get(r.asset)! * v; den += len.get(r.asset)!; }
  return den ? num / den : null;
}

/** Client-hours: the sum over hotspot-hours of the mean connected clients. */
export async function clientHours(store: Store, hotspots: readonly AssetFeature[], from: number, to: number): Promise<number | null> {
  const rows = await hourly(store, hotspots.map((h) => h.id), 'clients', from, to);
  let sum = 0;
  let any = false;
  for (const r of rows) for (const [, v] of r.points) { sum += v; any = true; }
  return any ? sum : null;
}

/** Availability: the share of 15-minute buckets with a reading, over the hotspots that reported in the period. */
export async function availability(store: Store, hotspots: readonly AssetFeature[], from: number, to: number): Promise<number | null> {
  const rows = await hourly(store, hotspots.map((h) => h.id), 'clients', from, to, 'count', 900);
  const reporting = rows.filter((r) => r.points.length > 0);
  const buckets = Math.ceil((to - from) / 900_000);
  return reporting.length ? reporting.reduce((n, r) => n + r.points.length, 0) / (reporting.length * buckets) : null;
}

/** Energy per floor area: Σ hourly mean power × 1 h over the buildings with data, per m² of their floor area. */
export async function energyPerM2(store: Store, buildings: readonly AssetFeature[], from: number, to: number): Promise<number | null> {
  const rows = await hourly(store, buildings.map((b) => b.id), 'power_kw', from, to);
  const area = new Map(buildings.map((b) => [b.id, (b.properties as Props).floor_area_m2 as number]));
  let kwh = 0;
  let m2 = 0;
  for (const r of rows) {
    if (!r.points.length) continue;
    kwh += r.points.reduce((s, p) => s + p[1], 0);
    m2 += area.get(r.asset)!;
  }
  return m2 ? kwh / m2 : null;
}

/** Finds the first hour with any building power data, to compare with when there is no year-ago period. */
async function firstEnergyHour(store: Store, buildings: readonly AssetFeature[], before: number): Promise<number | null> {
  const from = Math.floor((before - 400 * 24 * HOUR) / (24 * HOUR)) * 24 * HOUR;
  const days = await hourly(store, buildings.map((b) => b.id), 'power_kw', from, before, 'count', 86_400);
  let first: number | null = null;
  for (const r of days) for (const [t] of r.points) first = first === null ? t : Math.min(first, t);
  if (first === null) return null;
  const hours = await hourly(store, buildings.map((b) => b.id), 'power_kw', first, first + 24 * HOUR, 'count');
  let h: number | null = null;
  for (const r of hours) for (const [t] of r.points) h = h === null ? t : Math.min(h, t);
  return h;
}

const kpi = (k: Omit<Kpi, 'met' | 'change'>): Kpi => ({
  ...k,
  met: k.value === null ? null : k.direction === 'below' ? k.value <= k.target : k.value >= k.target,
  change: k.value === null || k.previous === null || k.previous === 0 ? null : (k.value - k.previous) / Math.abs(k.previous),
});

/**
 * The city's KPIs over [from, to) (whole hours), from the 1 h rollups. Traffic and Wi-Fi compare with the
 * period just before; energy per m² with the same period a year earlier, or the first recorded period of
 * the same length when the hub is younger than a year.
 */
export async function computeKpis(store: Store, catalogue: readonly AssetFeature[], from: number, to: number): Promise<Kpi[]> {
  const links = assetsOf(catalogue, 'traffic');
  const hotspots = assetsOf(catalogue, 'wifi');
  const buildings = assetsOf(catalogue, 'energy');
  const len = to - from;
  const pFrom = from - len;
  const hours = len / HOUR;
  const [ci, ciPrev, cs, csPrev, ch, chPrev, av, avPrev, en] = await Promise.all([
    congestionIndex(store, links, from, to), congestionIndex(store, links, pFrom, from),
    corridorSpeed(store, links, from, to), corridorSpeed(store, links, pFrom, from),
    clientHours(store, hotspots, from, to), clientHours(store, hotspots, pFrom, from),
    availability(store, hotspots, from, to), availability(store, hotspots, pFrom, from),
    energyPerM2(store, buildings, from, to),
  ]);
  const yearAgo = await energyPerM2(store, buildings, from - 365 * 24 * HOUR, to - 365 * 24 * HOUR);
  let enPrev = yearAgo;
  let compared = 'the same period a year earlier';
  if (enPrev === null) {
    const first = await firstEnergyHour(store, buildings, from);
    if (first !== null && first < from) {
      enPrev = await energyPerM2(store, buildings, first, Math.min(first + len, from));
      compared = `the first recorded period (from ${new Date(first).toISOString()})`;
    } else compared = 'nothing yet (no earlier energy data)';
  }
  return [
    kpi({ id: 'congestion_index', name: 'City congestion index (length-weighted share of lost speed)', unit: 'ratio', value: ci, target: 0.25, direction: 'below', previous: ciPrev, compared_with: 'the period before' }),
    kpi({ id: 'corridor_speed', name: 'Average speed on the main corridors', unit: 'km/h', value: cs, target: 30, direction: 'above', previous: csPrev, compared_with: 'the period before' }),
    kpi({ id: 'wifi_client_hours', name: 'Wi-Fi use (client-hours)', unit: 'client-h', value: ch, target: 200 * hours, direction: 'above', previous: chPrev, compared_with: 'the period before' }),
    kpi({ id: 'wifi_availability', name: 'Wi-Fi availability (share of 15-minute intervals with a reading)', unit: 'ratio', value: av, target: 0.98, direction: 'above', previous: avPrev, compared_with: 'the period before' }),
    kpi({ id: 'energy_per_m2', name: 'Building energy per floor area', unit: 'kWh/m²', value: en, target: enPrev === null ? Infinity : enPrev * 0.97, direction: 'below', previous: enPrev, compared_with: compared }),
  ].map((k) => (Number.isFinite(k.target) ? k : { ...k, target: 0, met: null }));
}
