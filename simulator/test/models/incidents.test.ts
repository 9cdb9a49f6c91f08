import type { LinkProperties } from '@cityhub/contracts';
import { assetsOfKind, loadCatalogue } from '@cityhub/contracts/catalogue';
import { describe, expect, it } from 'vitest';
import { createIncidentModel, incidentShape, MAX_INCIDENT_CUT } from '../../src/models/incidents.js';
import { linkParams, trafficAt } from '../../src/models/traffic.js';
import { athensInstant } from './athens.js';

const links = assetsOfKind('traffic').map((f) => f.properties as LinkProperties);
const byId = new Map(links.map((l) => [l.id, l]));
const DAY = 86_400_000;
const MIN = 60_000;
const FROM = athensInstant(2025, 3, 3, 0); // Monday 3 March 2025
const DAYS = 28;

describe('traffic incidents', () => {
  const model = createIncidentModel(links, { seed: 7 });

  it('happen about ratePerDay times per link and day, last 10–60 min and cut 30–70 % of the speed', () => {
    const all = links.flatMap((l) => model.startingBetween(l.id, FROM, FROM + DAYS * DAY));
    const perLinkDay = all.length / links.length / DAYS;
    expect(perLinkDay).toBeGreaterThan(0.15 * 0.7);
    expect(perLinkDay).toBeLessThan(0.15 * 1.3);
    for (const inc of all) {
      expect(inc.end - inc.start).toBeGreaterThanOrEqual(10 * MIN);
      expect(inc.end - inc.start).toBeLessThanOrEqual(60 * MIN);
      expect(inc.severity).toBeGreaterThanOrEqual(0.3);
      expect(inc.severity).toBeLessThan(0.7);
      expect(inc.origin).toBe(inc.link);
    }
    // More in the busy day than at night: 07:00–21:00 is 14 of 24 hours.
    const hourOf = (t: number) => new Date(t + 2 * 3_600_000).getUTCHours(); // EET in March
    const day = all.filter((i) => hourOf(i.start) >= 7 && hourOf(i.start) < 21).length;
    expect(day / all.length).toBeGreaterThan(14 / 24);
  });

  it('are seeded: the same seed gives the same incidents, another seed others, rate 0 none', () => {
    const again = createIncidentModel(links, { seed: 7 });
    const other = createIncidentModel(links, { seed: 8 });
    const none = createIncidentModel(links, { seed: 7, ratePerDay: 0 });
    const list = (m: typeof model) => links.slice(0, 40).flatMap((l) => m.startingBetween(l.id, FROM, FROM + 7 * DAY));
    expect(list(again)).toEqual(list(model));
    expect(list(model).length).toBeGreaterThan(10);
    expect(list(other)).not.toEqual(list(model));
    expect(list(none)).toEqual([]);
    expect(none.cut(links[0]!.id, FROM + 12 * 3_600_000)).toBe(0);
  });

  it('spill back upstream: the feeding links get a smaller drop, 3–8 minutes later', () => {
    const upstreamOf = (id: string) => model.upstreamOf(id).map((u) => byId.get(u)!);
    // An incident on a link with upstream links, the first in the period.
    const inc = links
      .flatMap((l) => model.startingBetween(l.id, FROM, FROM + DAYS * DAY))
      .filter((i) => upstreamOf(i.link).length > 0)
      .sort((a, b) => a.start - b.start)[0]!;
    const down = byId.get(inc.link)!;
    const ups = upstreamOf(inc.link);
    for (const u of ups) {
      expect(u.destination_detector).toBe(down.origin_detector);
      expect(u.origin_detector).not.toBe(down.destination_detector); // not the opposite carriageway
    }
    // Every link ending where this one starts is upstream, except the opposite carriageway.
    expect(ups.map((u) => u.id).sort()).toEqual(links
      .filter((l) => l.destination_detector === down.origin_detector && l.origin_detector !== down.destination_detector && l.id !== down.id)
      .map((l) => l.id).sort());

    const mid = inc.start + (inc.end - inc.start) / 2;
    expect(model.cut(down.id, mid)).toBeGreaterThanOrEqual(inc.severity - 1e-9);
    const p = linkParams(down);
    expect(trafficAt(down, mid, p, model.cut(down.id, mid)).speed_kmh).toBeLessThan(trafficAt(down, mid, p).speed_kmh * (1 - inc.severity * 0.8));

    for (const u of ups) {
      const spill = model.at(u.id, mid).find((e) => e.origin === down.id)!;
      expect(spill).toBeDefined();
      expect(spill.link).toBe(u.id);
      expect(spill.severity).toBeCloseTo(inc.severity * 0.5, 9);
      expect(spill.start - inc.start).toBeGreaterThanOrEqual(3 * MIN);
      expect(spill.start - inc.start).toBeLessThanOrEqual(8 * MIN);
      expect(spill.end - spill.start).toBe(inc.end - inc.start);
      // Not yet at the incident's start, there at full (smaller) strength once it has built up.
      expect(model.at(u.id, inc.start + 2 * MIN).some((e) => e.origin === down.id)).toBe(false);
      expect(incidentShape(spill, spill.start + 3 * MIN)).toBeCloseTo(spill.severity, 9);
      expect(incidentShape(spill, spill.start + 3 * MIN)).toBeLessThan(incidentShape(inc, inc.start + 3 * MIN));
    }
    // The drop does not travel downstream: a link leaving where the incident link ends feels nothing of it.
    const after = links.filter((l) => l.origin_detector === down.destination_detector && l.destination_detector !== down.origin_detector);
    for (const l of after) expect(model.at(l.id, mid).some((e) => e.origin === down.id)).toBe(false);
  });

  it('clear gradually and never stop a link completely', () => {
    const inc = links.flatMap((l) => model.startingBetween(l.id, FROM, FROM + 7 * DAY))[0]!;
    expect(incidentShape(inc, inc.start - 1)).toBe(0);
    expect(incidentShape(inc, inc.end + 5 * MIN)).toBeCloseTo(inc.severity / 2, 9);
    expect(incidentShape(inc, inc.end + 10 * MIN)).toBe(0);
    let [minCut, maxCut, minSpeed, affected] = [Infinity, 0, Infinity, 0];
    for (const l of links) {
      for (let t = FROM; t < FROM + 7 * DAY; t += 7 * MIN) {
        const cut = model.cut(l.id, t);
        minCut = Math.min(minCut, cut);
        maxCut = Math.max(maxCut, cut);
        if (cut > 0) {
          affected++;
          minSpeed = Math.min(minSpeed, trafficAt(l, t, linkParams(l), cut).speed_kmh);
        }
      }
    }
    expect(minCut).toBe(0);
    expect(maxCut).toBeGreaterThan(0.3);
    expect(maxCut).toBeLessThanOrEqual(MAX_INCIDENT_CUT);
    expect(minSpeed).toBeGreaterThanOrEqual(5);
    // About 0.15 incidents × ~45 min, plus ~4 feeding links' spill-back, per link and day: a few % of the time.
    const share = affected / (links.length * Math.ceil((7 * DAY) / (7 * MIN)));
    expect(share).toBeGreaterThan(0.005);
    expect(share).toBeLessThan(0.08);
  });

  it('keeps synthetic links outside the detector graph', () => {
    const synthetic = loadCatalogue({ synthetic: 300 }).features
      .filter((f) => f.properties.kind === 'traffic' && f.properties.synthetic)
      .map((f) => f.properties as LinkProperties);
    const m = createIncidentModel([...links, ...synthetic], { seed: 7 });
    for (const s of synthetic) expect(m.upstreamOf(s.id)).toEqual([]);
    // Real links feel exactly what they felt without synthetic ones.
    for (const l of links.slice(0, 30)) {
      for (let t = FROM; t < FROM + 2 * DAY; t += 11 * MIN) expect(m.cut(l.id, t)).toBe(model.cut(l.id, t));
    }
    expect(synthetic.flatMap((s) => m.startingBetween(s.id, FROM, FROM + 7 * DAY)).length).toBeGreaterThan(0);
  });
});
