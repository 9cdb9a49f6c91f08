import { cityClock, type CityClock, type LinkProperties, type TrafficReading } from '@cityhub/contracts';
import { dayType, dayWindow, hm, localTime, type DayType } from './day.js';
import { clamp, jitter, param, round, seedOf, smooth } from './noise.js';

/*
 * Traffic model of one road link (all times the city's local time: Europe/Athens unless CITYHUB_TZ says otherwise).
 *
 * - Demand intensity I(t) in [0, 1] over the day:
 *   weekdays: rush windows 07:30–09:30 (weight 1.0), 14:00–15:30 (0.75), 17:30–19:30 (0.9), each with
 *   30-minute ramps, shifted per link by a random phase of ±15 min; a daytime background of 0.2 between
 *   07:00 and 21:00; 0 at night.
 *   Saturdays: rushes at 0.35 of their weekday weight, a shopping peak 11:00–14:00 (0.5) and an evening
 *   out 19:30–22:30 (0.45). Sundays: rushes at 0.2, a midday outing 11:30–14:30 (0.35), evening 18:30–21:30
 *   (0.35). The background is 0.15 on weekends.
 *   Slow noise (15-minute value noise, ±25 %) scales I, so no two days are alike.
 * - Congestion c = depth × I, where depth (the speed drop at full rush) is drawn per link once:
 *   30–60 % on urban links, 15–35 % on expressways (free flow ≥ 80 km/h).
 * - speed = free_flow × (1 − c) × (1 ± 3 % reading scatter), clamped to [5 km/h, 1.05 × free_flow].
 * - travel_time_s = length_m / speed.
 * - Flow from Greenshields' speed–density relation, v = v_f (1 − k / k_j): density
 *   k = k_j × lanes × (1 − v / v_f) with jam density k_j = 120 veh/km/lane, 2 lanes urban, 3 expressway,
 *   and flow q = k × v. The model speed used for k is floored at 2 % below free flow, so light night traffic
 *   has a small non-zero flow instead of none.
 * - occupancy_pct = density per lane × 7 m effective vehicle length (5 m car + 2 m detection zone) / 1 km.
 *
 * - Incidents (incidents.ts) cut the speed further: with an incident cut x, the speed is
 *   free_flow × (1 − c) × (1 − x), and density, flow and occupancy follow from that speed as above.
 *
 * Every value is a pure function of (link, time[, incident cut]): per-link draws are seeded by the link id.
 */

const JAM_DENSITY_PER_LANE = 120; // veh/km/lane
const EFFECTIVE_VEHICLE_M = 7;

/** Per-link constants drawn from the link id, and the city clock its daily pattern follows. */
export interface LinkParams { seed: number; expressway: boolean; lanes: number; depth: number; phaseMin: number; clock: CityClock }

/** The per-link constants of the traffic model, on the city clock `clock` (default Europe/Athens). */
export function linkParams(link: LinkProperties, clock: CityClock = cityClock()): LinkParams {
  const seed = seedOf(link.id);
  const expressway = link.free_flow_kmh >= 80;
  return {
    seed,
    expressway,
    lanes: expressway ? 3 : 2,
    depth: expressway ? param(seed, 1, 0.15, 0.35) : param(seed, 1, 0.3, 0.6),
    phaseMin: param(seed, 2, -15, 15),
    clock,
  };
}

const RUSHES = [
  { start: hm(7, 30), end: hm(9, 30), weight: 1 },
  { start: hm(14), end: hm(15, 30), weight: 0.75 },
  { start: hm(17, 30), end: hm(19, 30), weight: 0.9 },
];
const WEEKEND: Record<Exclude<DayType, 'weekday'>, { rush: number; background: number; extra: { start: number; end: number; weight: number }[] }> = {
  saturday: { rush: 0.35, background: 0.15, extra: [{ start: hm(11), end: hm(14), weight: 0.5 }, { start: hm(19, 30), end: hm(22, 30), weight: 0.45 }] },
  sunday: { rush: 0.2, background: 0.15, extra: [{ start: hm(11, 30), end: hm(14, 30), weight: 0.35 }, { start: hm(18, 30), end: hm(21, 30), weight: 0.35 }] },
};

/** Demand intensity in [0, 1] at local minutes `m` of a day type (before noise). */
export function demandIntensity(day: DayType, m: number): number {
  const rushScale = day === 'weekday' ? 1 : WEEKEND[day].rush;
  let i = (day === 'weekday' ? 0.2 : WEEKEND[day].background) * dayWindow(m, hm(7), hm(21), 60);
  for (const r of RUSHES) i = Math.max(i, r.weight * rushScale * dayWindow(m, r.start, r.end));
  if (day !== 'weekday') for (const r of WEEKEND[day].extra) i = Math.max(i, r.weight * dayWindow(m, r.start, r.end));
  return i;
}

/** The congestion c in [0, 0.6] of a link at instant `t`: the fraction of free-flow speed lost. */
export function congestion(link: LinkProperties, t: number, p: LinkParams = linkParams(link)): number {
  const lt = localTime(p.clock, t);
  const m = lt.minutes - p.phaseMin;
  const i = demandIntensity(dayType(lt.weekday), m) * (1 + 0.25 * smooth(p.seed, t, 15 * 60_000));
  return clamp(p.depth * i, 0, 0.6);
}

/** The metrics of one traffic reading: every metric of the contract's traffic reading. */
export type TrafficMetrics = Required<Omit<TrafficReading, 'ts' | 'seq'>>;

/**
 * One traffic reading's metrics for `link` at instant `t` (epoch ms). `incidentCut` is the share of speed
 * lost to incidents at `t` (see incidents.ts; default 0, no incident).
 */
export function trafficAt(link: LinkProperties, t: number, p: LinkParams = linkParams(link), incidentCut = 0): TrafficMetrics {
  const vf = link.free_flow_kmh;
  const c0 = congestion(link, t, p);
  const c = incidentCut > 0 ? 1 - (1 - c0) * (1 - Math.min(incidentCut, 0.95)) : c0;
  const speed = clamp(vf * (1 - c) * (1 + 0.03 * jitter(p.seed, t)), 5, vf * 1.05);
  const vModel = vf * (1 - Math.max(c, 0.02));
  const densityPerLane = JAM_DENSITY_PER_LANE * (1 - vModel / vf);
  const flow = densityPerLane * p.lanes * vModel;
  return {
    speed_kmh: round(speed, 1),
    travel_time_s: round(link.length_m / (speed / 3.6), 1),
    flow_veh_h: Math.round(flow),
    occupancy_pct: round(clamp((densityPerLane * EFFECTIVE_VEHICLE_M) / 10, 0, 100), 1),
  };
}
