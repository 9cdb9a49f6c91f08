import { cityClock, type CityClock, type LinkProperties } from '@cityhub/contracts';
import { dayType, localTime } from './day.js';
import { hash01, seedOf } from './noise.js';
import { demandIntensity } from './traffic.js';

/*
 * Random traffic incidents (breakdowns, collisions, roadworks) and their spill-back.
 *
 * - Each link may have an incident start in any hour: at most one per link and hour, with probability
 *   ratePerDay / 24 × (0.3 + demand) / 0.55, so incidents are about `ratePerDay` per link per day and more
 *   likely in busy hours (demand is the traffic model's intensity, 0 at night, 1 at the morning rush).
 *   Start: uniform in the hour; duration 10–60 min; severity s = 0.3–0.7, the share of the speed lost.
 * - Shape: the cut ramps in over 2 min, holds until the end, and clears over 10 min (the queue discharges).
 * - Spill-back upstream: the queue reaches the links that feed the incident link, i.e. the links whose
 *   destination detector is its origin detector (the opposite direction, which only shares the detectors,
 *   is not one of them). Each gets a smaller cut, s × 0.5, starting 3–8 min later and ending as much later.
 * - Everything is a pure function of (model seed, link id, hour), so a restarted simulator, a backfill and
 *   a test all see the same incidents.
 *
 * Synthetic links (copies of real ones for load tests) get incidents of their own but sit outside the
 * detector graph: they neither spread incidents to real links nor receive them.
 */

const HOUR_MS = 3_600_000;
const MIN_MS = 60_000;
const RAMP_IN_MS = 2 * MIN_MS;
const CLEAR_MS = 10 * MIN_MS;
const MAX_DURATION_MS = 60 * MIN_MS;
const MAX_DELAY_MS = 8 * MIN_MS;
/** Hours to look back so that every incident still affecting an instant is found. */
const LOOKBACK_HOURS = Math.ceil((MAX_DURATION_MS + MAX_DELAY_MS + CLEAR_MS) / HOUR_MS);
/** The largest combined cut: a link never stops completely. */
export const MAX_INCIDENT_CUT = 0.85;

/** One incident's effect on one link. */
export interface Incident {
  /** The link whose speed is cut. */
  link: string;
  /** The link where the incident happened (equal to `link` unless this is spill-back). */
  origin: string;
  /** When the cut starts and when it is at its end of full strength (it then clears over 10 min), epoch ms. */
  start: number;
  end: number;
  /** Share of speed lost at full strength. */
  severity: number;
}

/** Options of {@link createIncidentModel}. */
export interface IncidentOptions {
  /** Mixed into every draw: another seed, other incidents (default 0). */
  seed?: number;
  /** Incidents per link per day on average (default 0.15, about one a week; 0 = none). */
  ratePerDay?: number;
  /** Spill-back severity as a share of the incident's (default 0.5). */
  upstreamShare?: number;
  /** The city clock whose busy hours make incidents likelier (default Europe/Athens). */
  clock?: CityClock;
}

/** The incidents of a road network. */
export interface IncidentModel {
  /** Every incident effect on `link` at instant `t`: its own and those spilling back from downstream. */
  at(linkId: string, t: number): Incident[];
  /** The share of `link`'s speed lost to incidents at `t`, in [0, {@link MAX_INCIDENT_CUT}]. */
  cut(linkId: string, t: number): number;
  /** The incidents starting on `link` itself in [from, to), in time order. */
  startingBetween(linkId: string, from: number, to: number): Incident[];
  /** The links that feed `link` (its upstream neighbours), which an incident on it spills back to. */
  upstreamOf(linkId: string): string[];
}

interface Node { id: string; seed: number; upstream: Node[]; downstream: Node[] }

/** The cut an incident makes at `t` (0 before and after it). */
export function incidentShape(inc: Incident, t: number): number {
  if (t < inc.start || t >= inc.end + CLEAR_MS) return 0;
  if (t < inc.start + RAMP_IN_MS) return inc.severity * ((t - inc.start) / RAMP_IN_MS);
  if (t <= inc.end) return inc.severity;
  return inc.severity * (1 - (t - inc.end) / CLEAR_MS);
}

/** The real links as nodes, each knowing the links that feed it (upstream) and those it feeds (downstream). */
function linkGraph(links: readonly LinkProperties[], modelSeed: number): Map<string, Node> {
  const nodes = new Map<string, Node>();
  const real = links.filter((l) => !l.synthetic);
  for (const l of real) nodes.set(l.id, { id: l.id, seed: seedOf(l.id) ^ modelSeed, upstream: [], downstream: [] });
  const byDestination = new Map<number, LinkProperties[]>();
  for (const l of real) byDestination.set(l.destination_detector, [...(byDestination.get(l.destination_detector) ?? []), l]);
  for (const d of real) {
    for (const u of byDestination.get(d.origin_detector) ?? []) {
      // The opposite carriageway ends where this link starts too, but its traffic does not queue into it.
      if (u.origin_detector === d.destination_detector || u.id === d.id) continue;
      nodes.get(d.id)!.upstream.push(nodes.get(u.id)!);
      nodes.get(u.id)!.downstream.push(nodes.get(d.id)!);
    }
  }
  return nodes;
}

/** Hazard weights by hour (busy hours weigh more), cached: local time is the costly part. */
function hourlyHazard(clock: CityClock): (hour: number) => number {
  const hourWeight = new Map<number, number>();
  return (hour) => {
    let w = hourWeight.get(hour);
    if (w === undefined) {
      const lt = localTime(clock, hour * HOUR_MS + HOUR_MS / 2);
      w = (0.3 + demandIntensity(dayType(lt.weekday), lt.minutes)) / 0.55;
      if (hourWeight.size > 50_000) hourWeight.clear();
      hourWeight.set(hour, w);
    }
    return w;
  };
}

/**
 * The incident model of a set of links: who feeds whom comes from the detectors at the links' ends.
 * Links not given here (or synthetic ones) still get incidents of their own, without spill-back.
 */
export function createIncidentModel(links: readonly LinkProperties[], opts: IncidentOptions = {}): IncidentModel {
  const modelSeed = (opts.seed ?? 0) >>> 0;
  const ratePerDay = opts.ratePerDay ?? 0.15;
  const upstreamShare = opts.upstreamShare ?? 0.5;
  const nodes = linkGraph(links, modelSeed);
  const node = (id: string): Node => nodes.get(id) ?? { id, seed: seedOf(id) ^ modelSeed, upstream: [], downstream: [] };
  const weightOf = hourlyHazard(opts.clock ?? cityClock());

  /** The incident starting on `n` in `hour`, if any. */
  const own = (n: Node, hour: number): Incident | null => {
    if (ratePerDay <= 0) return null;
    const h = hour * 8;
    if (hash01(n.seed, h) >= Math.min(1, (ratePerDay / 24) * weightOf(hour))) return null;
    const start = hour * HOUR_MS + Math.floor(hash01(n.seed, h + 1) * HOUR_MS);
    const duration = (10 + 50 * hash01(n.seed, h + 2)) * MIN_MS;
    return { link: n.id, origin: n.id, start, end: start + duration, severity: 0.3 + 0.4 * hash01(n.seed, h + 3) };
  };

  /** The spill-back of incident `inc` (on `from`) onto its upstream link `to`. */
  const spill = (inc: Incident, from: Node, to: Node): Incident => {
    const delay = (3 + 5 * hash01(from.seed ^ to.seed, Math.floor(inc.start / MIN_MS))) * MIN_MS;
    return { link: to.id, origin: inc.origin, start: inc.start + delay, end: inc.end + delay, severity: inc.severity * upstreamShare };
  };

  const at = (linkId: string, t: number): Incident[] => {
    const n = node(linkId);
    const out: Incident[] = [];
    const last = Math.floor(t / HOUR_MS);
    for (let hour = last - LOOKBACK_HOURS; hour <= last; hour++) {
      const mine = own(n, hour);
      if (mine && incidentShape(mine, t) > 0) out.push(mine);
      for (const d of n.downstream) {
        const inc = own(d, hour);
        if (!inc) continue;
        const s = spill(inc, d, n);
        if (incidentShape(s, t) > 0) out.push(s);
      }
    }
    return out;
  };

  return {
    at,
    cut(linkId, t) {
      // Combined as independent losses: two half cuts leave a quarter of the speed.
      let keep = 1;
      for (const inc of at(linkId, t)) keep *= 1 - incidentShape(inc, t);
      return Math.min(MAX_INCIDENT_CUT, 1 - keep);
    },
    startingBetween(linkId, from, to) {
      const n = node(linkId);
      const out: Incident[] = [];
      for (let hour = Math.floor(from / HOUR_MS); hour * HOUR_MS < to; hour++) {
        const inc = own(n, hour);
        if (inc && inc.start >= from && inc.start < to) out.push(inc);
      }
      return out;
    },
    upstreamOf: (linkId) => node(linkId).upstream.map((u) => u.id),
  };
}
