/**
 * The simulated city the alert rules are measured on: the simulator's own models (traffic with its seeded
 * incidents and their spill-back, building energy), read at chosen instants without MQTT. Same seed, same
 * city, same incidents: the truth is known.
 */
import type { AssetFeature } from '@cityhub/contracts';
import { assetsOfKind } from '@cityhub/contracts/catalogue';
import { createFleetModels, makeReading, type FleetModels, type Incident } from '@cityhub/simulator';
import type { Point, Store } from '@cityhub/store';

const HOUR_MS = 3_600_000;
const MIN_MS = 60_000;
/** An incident's cut clears over this long after its end (simulator/src/models/incidents.ts). */
export const INCIDENT_CLEAR_MS = 10 * MIN_MS;

/** Options of {@link ruleCity}. */
export interface RuleCityOptions {
  /** Seeds the incidents (the simulator's `--seed`). */
  seed: number;
  /** Only the first N road links and buildings of the catalogue (a short test); all by default. */
  links?: number;
  buildings?: number;
}

/** The assets measured and the models their readings come from. */
export interface RuleCity {
  models: FleetModels;
  links: AssetFeature[];
  buildings: AssetFeature[];
}

/** The city: every real road link and building, incidents over the whole road network; no retrofit (a steady history). */
export function ruleCity(o: RuleCityOptions): RuleCity {
  const links = assetsOfKind('traffic');
  const buildings = assetsOfKind('energy');
  return {
    models: createFleetModels({ seed: o.seed, retrofitAt: null }),
    links: links.slice(0, o.links ?? links.length),
    buildings: buildings.slice(0, o.buildings ?? buildings.length),
  };
}

/** One device per asset, its sequence numbers and meter counter, as the simulator keeps them. */
function deviceStates(city: RuleCity): Map<string, Parameters<typeof makeReading>[1]> {
  return new Map([...city.links, ...city.buildings].map((a) => [a.id, { kind: a.properties.kind, asset: a.id, secret: '', secret_hash: '', next_seq: 1 }]));
}

/**
 * The readings of every asset at `from, from + stepMs, …` before `to`, one array per instant, in time order:
 * what the hub's writer would hand the alert engine as the readings become durable.
 */
export function* cityReadings(city: RuleCity, from: number, to: number, stepMs: number): Generator<Point[]> {
  const states = deviceStates(city);
  const assets = [...city.links, ...city.buildings];
  for (let t = from; t < to; t += stepMs) {
    yield assets.map((a) => {
      const { ts, seq, ...values } = makeReading(a, states.get(a.id)!, t, city.models);
      return { kind: a.properties.kind, asset: a.id, device: `sim-${a.id}`, ts, seq, values };
    });
  }
}

/** Writes the history [from, to) into the store (which keeps its 1 min, 15 min and 1 h rollups), a day at a time. */
export async function writeHistory(store: Store, city: RuleCity, from: number, to: number, stepMs: number): Promise<number> {
  let n = 0;
  let batch: Point[] = [];
  for (const points of cityReadings(city, from, to, stepMs)) {
    batch.push(...points);
    if (batch.length >= 50_000) {
      await store.write(batch);
      n += batch.length;
      batch = [];
    }
  }
  if (batch.length) await store.write(batch);
  return n + batch.length;
}

/** Every incident effect on each link over [from, to): its own incidents and the spill-back from the links it feeds. */
export function incidentsOn(city: RuleCity, from: number, to: number): Map<string, Incident[]> {
  const out = new Map<string, Incident[]>();
  // Effects that started up to two hours before `from` may still be there; each is found in the hour it starts.
  for (const l of city.links) {
    const seen = new Map<string, Incident>();
    for (let t = from - 2 * HOUR_MS; t < to; t += MIN_MS) {
      for (const inc of city.models.incidents.at(l.id, t)) seen.set(`${inc.origin}|${inc.start}`, inc);
    }
    out.set(l.id, [...seen.values()].filter((i) => i.end + INCIDENT_CLEAR_MS > from && i.start < to).sort((a, b) => a.start - b.start));
  }
  return out;
}
