import type { Kind, MetricName } from '@cityhub/contracts';

/** The Smart Data Models entity types the hub serves, and the kind of asset each stands for. */
export const ENTITY_TYPES = {
  RoadSegment: 'traffic',
  TrafficFlowObserved: 'traffic',
  WifiPointOfInterest: 'wifi',
  AccessPoint: 'wifi',
  ACMeasurement: 'energy',
} as const satisfies Record<string, Kind>;
export type EntityType = keyof typeof ENTITY_TYPES;
export const TYPE_NAMES = Object.keys(ENTITY_TYPES) as EntityType[];

/** The city part of every entity id: `urn:ngsi-ld:{type}:thessaloniki:{asset}`. */
export const CITY = 'thessaloniki';

/** The id of the entity of a type that stands for an asset. */
export const entityId = (type: string, asset: string) => `urn:ngsi-ld:${type}:${CITY}:${asset}`;

/** The type and asset of an entity id the hub serves; null for any other. */
export function parseEntityId(id: string): { type: EntityType; asset: string } | null {
  const m = /^urn:ngsi-ld:([A-Za-z]+):([a-z0-9-]+):(.+)$/.exec(id);
  if (!m || m[2] !== CITY || !(m[1]! in ENTITY_TYPES)) return null;
  return { type: m[1] as EntityType, asset: m[3]! };
}

/**
 * An attribute that carries a metric: its raw name in the hub, its UN/CEFACT unit code and the factor from
 * the hub's unit to the model's (`value = raw × scale`).
 */
export interface Measure { attr: string; metric: MetricName; unitCode: string; scale: number; note: string }

/**
 * The metrics each entity type carries, converted to the units the Smart Data Models define (README,
 * "NGSI-LD"). Attributes the models lack (travel time, Wi-Fi rates) are the hub's own terms, named in the
 * hub's `@context`.
 */
export const MEASURES: Record<EntityType, readonly Measure[]> = {
  RoadSegment: [],
  TrafficFlowObserved: [
    { attr: 'averageVehicleSpeed', metric: 'speed_kmh', unitCode: 'KMH', scale: 1, note: 'km/h, as measured' },
    {
      attr: 'intensity', metric: 'flow_veh_h', unitCode: 'C62', scale: 1,
      note: 'vehicles in the observation period, which is the hour before observedAt (dateObservedFrom/To): the hourly flow × 1 h',
    },
    { attr: 'occupancy', metric: 'occupancy_pct', unitCode: 'C62', scale: 0.01, note: 'a fraction 0–1: the percentage ÷ 100' },
    { attr: 'travelTime', metric: 'travel_time_s', unitCode: 'SEC', scale: 1, note: 'seconds along the link (a City Hub term)' },
  ],
  WifiPointOfInterest: [
    { attr: 'clientsConnected', metric: 'clients', unitCode: 'C62', scale: 1, note: 'clients on the hotspot' },
  ],
  AccessPoint: [
    { attr: 'clientsConnected', metric: 'clients', unitCode: 'C62', scale: 1, note: 'clients on the access point' },
    { attr: 'rxRate', metric: 'rx_kbps', unitCode: 'C74', scale: 1, note: 'kbit/s received (a City Hub term)' },
    { attr: 'txRate', metric: 'tx_kbps', unitCode: 'C74', scale: 1, note: 'kbit/s sent (a City Hub term)' },
  ],
  ACMeasurement: [
    { attr: 'totalActivePower', metric: 'power_kw', unitCode: 'WTT', scale: 1000, note: 'watts: the kilowatts × 1000' },
    { attr: 'totalActiveEnergyImport', metric: 'energy_kwh', unitCode: 'KWH', scale: 1, note: 'the meter reading in kWh' },
  ],
};

/** Types whose entities are observations: they exist once their asset has a reading (`dateObserved` is required). */
export const OBSERVATIONS: ReadonlySet<EntityType> = new Set(['TrafficFlowObserved', 'ACMeasurement']);

/** The hub's own terms (not in the Smart Data Models contexts), expanded under the hub's vocabulary. */
export const HUB_TERMS = ['travelTime', 'rxRate', 'txRate'] as const;

/** The attribute names an entity type can have (for `GET /types?details=true`). */
export const ATTRIBUTES: Record<EntityType, readonly string[]> = {
  RoadSegment: ['name', 'location', 'startPoint', 'endPoint', 'refRoad', 'allowedVehicleType', 'length'],
  TrafficFlowObserved: ['name', 'location', 'dateObserved', 'dateObservedFrom', 'dateObservedTo', 'refRoadSegment', 'refDevice',
    ...MEASURES.TrafficFlowObserved.map((m) => m.attr)],
  WifiPointOfInterest: ['name', 'location', 'category', ...MEASURES.WifiPointOfInterest.map((m) => m.attr)],
  AccessPoint: ['name', 'location', 'refPointOfInterest', 'refDevice', ...MEASURES.AccessPoint.map((m) => m.attr)],
  ACMeasurement: ['name', 'location', 'dateObserved', 'phaseType', 'refDevice', ...MEASURES.ACMeasurement.map((m) => m.attr)],
};
