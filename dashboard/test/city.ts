/**
 * A plausible day of the whole city for the assets the cases leave alone, so that screenshots show
 * Thessaloniki as it looks with every device reporting: rush hours on the roads, busy squares at noon and in
 * the evening, buildings by use. Deterministic (no randomness), in Thessaloniki local time.
 */
import type { AssetFeature } from '@cityhub/contracts';
import { athensHour } from './cases.js';
import type { Payload } from './cases.js';

const HOUR = 3_600_000;
const QUARTER = 15 * 60_000;

/** A stable number in [0, 1) from an id. */
function unit(id: string, salt = 0): number {
  let h = 2166136261 ^ salt;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return ((h >>> 0) % 10_000) / 10_000;
}

/** Congestion (0 free, 1 stopped) of the city's roads by local hour: two rush hours, a busy midday. */
const ROAD_LOAD = [0.03, 0.02, 0.02, 0.02, 0.03, 0.08, 0.25, 0.55, 0.62, 0.42, 0.3, 0.32, 0.36, 0.38, 0.4, 0.45, 0.52, 0.6, 0.58, 0.45, 0.3, 0.18, 0.1, 0.05];
/** Share of a hotspot's capacity in use by local hour. */
const WIFI_LOAD = [0.05, 0.03, 0.02, 0.02, 0.02, 0.03, 0.06, 0.12, 0.2, 0.28, 0.35, 0.42, 0.5, 0.52, 0.48, 0.45, 0.48, 0.55, 0.62, 0.66, 0.6, 0.45, 0.25, 0.1];
/** A building's occupancy by local hour. */
const BUILDING_LOAD = [0, 0, 0, 0, 0, 0, 0.1, 0.4, 0.8, 1, 1, 1, 1, 1, 1, 1, 0.95, 0.8, 0.6, 0.5, 0.4, 0.2, 0.05, 0];

/** The readings one asset publishes: traffic and Wi-Fi every 15 min over the last day, energy hourly over 15 days. */
export function cityReadings(f: AssetFeature, now: number): Payload[] {
  const p = f.properties;
  const out: Payload[] = [];
  const push = (ts: number, values: Record<string, number>) => out.push({ ts, seq: out.length + 1, ...values });
  const u = unit(f.id);
  switch (p.kind) {
    case 'traffic': {
      // Ring roads and arterials feel the rush more than side streets; every link a little differently.
      const weight = 0.5 + u * 0.9;
      for (let t = now - 24 * HOUR; t <= now; t += QUARTER) {
        const load = Math.min(0.95, ROAD_LOAD[athensHour(t)]! * weight + 0.04 * Math.sin(t / 7_200_000 + u * 6));
        const speed = Math.max(3, p.free_flow_kmh * (1 - Math.max(0, load)));
        push(t, { speed_kmh: Math.round(speed * 10) / 10, flow_veh_h: Math.round(300 + 1500 * Math.max(0, load)) });
      }
      break;
    }
    case 'wifi': {
      const popularity = 0.4 + u * 0.7;
      for (let t = now - 24 * HOUR; t <= now; t += QUARTER) {
        push(t, { clients: Math.round(p.capacity * Math.min(1, WIFI_LOAD[athensHour(t)]! * popularity)) });
      }
      break;
    }
    case 'energy': {
      const peak = p.power_limit_kw * (0.45 + u * 0.3);
      const base = 0.25 + unit(f.id, 1) * 0.15;
      let kwh = 20_000 + Math.round(u * 50_000);
      const start = Math.floor((now - 15 * 24 * HOUR) / HOUR) * HOUR;
      let prevKw: number | undefined;
      for (let t = start; t <= now; t += HOUR) {
        // Some days busier than others (weather, events), so week-on-week changes are not all zero.
        const day = 1 + 0.08 * Math.sin(Math.floor(t / 86_400_000) * 1.7 + u * 6);
        const kw = Math.round(peak * day * (base + (1 - base) * BUILDING_LOAD[athensHour(t)]!) * 10) / 10;
        if (prevKw !== undefined) kwh += prevKw;
        push(t, { power_kw: kw, energy_kwh: Math.round(kwh * 10) / 10 });
        prevKw = kw;
      }
      break;
    }
  }
  return out;
}
