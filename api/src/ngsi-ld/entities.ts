import type { AssetCollection, AssetFeature, Kind } from '@cityhub/contracts';
import type { LatestPoint, Store } from '@cityhub/store';
import { ENTITY_TYPES, MEASURES, OBSERVATIONS, entityId, type EntityType } from './models.js';

/** An NGSI-LD attribute in normalized form. */
export type Attribute =
  | { type: 'Property'; value: unknown; observedAt?: string; unitCode?: string }
  | { type: 'GeoProperty'; value: Geometry }
  | { type: 'Relationship'; object: string | string[]; observedAt?: string };
export type Geometry = AssetFeature['geometry'] | { type: 'Point'; coordinates: [number, number] };
/** An NGSI-LD entity in normalized form. */
export type Entity = { id: string; type: EntityType } & { [attr: string]: Attribute | string };

const prop = (value: unknown, extra: { observedAt?: string; unitCode?: string } = {}): Attribute => ({ type: 'Property', value, ...extra });
const rel = (object: string | string[]): Attribute => ({ type: 'Relationship', object });
const dateTime = (iso: string) => prop({ '@type': 'DateTime', '@value': iso });
const point = (c: readonly number[]): Geometry => ({ type: 'Point', coordinates: [c[0]!, c[1]!] });

/** The measures of a reading as attributes, in the model's units, with `observedAt` and `unitCode`. */
function measures(type: EntityType, latest: LatestPoint | undefined): Record<string, Attribute> {
  if (!latest) return {};
  const observedAt = new Date(latest.ts).toISOString();
  const out: Record<string, Attribute> = {};
  for (const m of MEASURES[type]) {
    const raw = latest.values[m.metric];
    if (raw !== undefined) out[m.attr] = prop(round(raw * m.scale), { observedAt, unitCode: m.unitCode });
  }
  return out;
}
/** Scaling must not add binary noise (0.3 × 0.01): values keep at most 9 decimals. */
const round = (v: number) => Math.round(v * 1e9) / 1e9;
const deviceOf = (latest: LatestPoint) => entityId('Device', latest.device);

/** The entity of a type for one asset, or null where it has none (an observation without a reading). */
export function toEntity(type: EntityType, f: AssetFeature, latest: LatestPoint | undefined): Entity | null {
  if (OBSERVATIONS.has(type) && !latest) return null;
  const base = { id: entityId(type, f.id), type, location: { type: 'GeoProperty', value: f.geometry } as Attribute };
  const p = f.properties;
  switch (type) {
    case 'RoadSegment': {
      if (p.kind !== 'traffic') return null;
      const c = f.geometry.coordinates as Array<[number, number]>;
      return {
        ...base, name: prop(p.name), startPoint: { type: 'GeoProperty', value: point(c[0]!) }, endPoint: { type: 'GeoProperty', value: point(c[c.length - 1]!) },
        refRoad: rel(entityId('Road', `path-${p.path_id}`)), allowedVehicleType: prop(['anyVehicle']),
        length: prop(p.length_m / 1000, { unitCode: 'KMT' }),
      };
    }
    case 'TrafficFlowObserved': {
      const to = new Date(latest!.ts);
      return {
        ...base, name: prop(`Traffic on ${p.name}`), dateObserved: dateTime(to.toISOString()),
        dateObservedFrom: dateTime(new Date(latest!.ts - 3_600_000).toISOString()), dateObservedTo: dateTime(to.toISOString()),
        refRoadSegment: rel(entityId('RoadSegment', f.id)), refDevice: rel(deviceOf(latest!)), ...measures(type, latest),
      };
    }
    case 'WifiPointOfInterest':
      if (p.kind !== 'wifi') return null;
      return { ...base, name: prop(p.name), category: prop([p.category]), ...measures(type, latest) };
    case 'AccessPoint':
      return {
        ...base, name: prop(`${p.name} access point`), refPointOfInterest: rel(entityId('WifiPointOfInterest', f.id)),
        ...(latest && { refDevice: rel(deviceOf(latest)) }), ...measures(type, latest),
      };
    case 'ACMeasurement':
      // phaseType is required by the model; the hub's meters report totals, taken as three-phase supplies.
      return {
        ...base, name: prop(`Electricity of ${p.name}`), dateObserved: dateTime(new Date(latest!.ts).toISOString()),
        phaseType: prop('threePhase'), refDevice: rel([deviceOf(latest!)]), ...measures(type, latest),
      };
  }
}

/**
 * Every entity of the given types (of the given assets only, when `only` is set), from the catalogue and the
 * store's latest readings (one query per kind).
 */
export async function loadEntities(store: Store, catalogue: AssetCollection, types: readonly EntityType[], only?: ReadonlySet<string>): Promise<Entity[]> {
  const kinds = [...new Set(types.map((t) => ENTITY_TYPES[t]))];
  const latest = new Map<Kind, Map<string, LatestPoint>>();
  await Promise.all(kinds.map(async (k) => latest.set(k, new Map((await store.latest(k)).map((l) => [l.asset, l])))));
  const out: Entity[] = [];
  for (const type of types) {
    const kind = ENTITY_TYPES[type];
    for (const f of catalogue.features) {
      if (f.properties.kind !== kind || (only && !only.has(f.id))) continue;
      const e = toEntity(type, f, latest.get(kind)!.get(f.id));
      if (e) out.push(e);
    }
  }
  return out;
}

/** The simplified (key-values) form: each attribute is its value (a DateTime its ISO text), relationship or geometry. */
export function keyValues(e: Entity): Record<string, unknown> {
  return Object.fromEntries(Object.entries(e).map(([k, a]) => [k, valueOf(a)]));
}
const isDateTime = (v: unknown): v is { '@value': string } => typeof v === 'object' && v !== null && (v as { '@type'?: string })['@type'] === 'DateTime';

/** An attribute's plain value, for `q` (what key-values shows). */
export function valueOf(a: Attribute | string | undefined): unknown {
  if (a === undefined || typeof a === 'string') return a;
  if (a.type === 'Relationship') return a.object;
  return isDateTime(a.value) ? a.value['@value'] : a.value;
}
