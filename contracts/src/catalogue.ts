import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AssetCollection, AssetFeature, BuildingProperties, HotspotProperties, LinkProperties } from './assets.js';
import { ATTRIBUTION } from './assets.js';
import type { Kind } from './kinds.js';

/** The folder of the Thessaloniki data files, copied from their sources with SOURCES.md. */
export const DATA_DIR = fileURLToPath(new URL('../data/thessaloniki/', import.meta.url));

type Pos = [number, number];
interface RawFeature<P, G> { properties: P; geometry: G }
interface RawPath { path_id: number; path_name: string; origin_device_id: number; destination_device_id: number }
interface RawVenue { id: string; name: string; category: string; site_area_m2?: number }
interface RawDetector { device_id: number; device_name: string }

function readCollection<P, G>(file: string): RawFeature<P, G>[] {
  return (JSON.parse(readFileSync(DATA_DIR + file, 'utf8')) as { features: RawFeature<P, G>[] }).features;
}

const EARTH_RADIUS_M = 6_371_008.8;
/** Great-circle length of a polyline in metres. */
export function lineLengthM(coords: readonly Pos[]): number {
  let m = 0;
  const rad = Math.PI / 180;
  for (let i = 1; i < coords.length; i++) {
    const [lon1, lat1] = coords[i - 1]!;
    const [lon2, lat2] = coords[i]!;
    const dLat = (lat2 - lat1) * rad;
    const dLon = (lon2 - lon1) * rad;
    const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
    m += 2 * EARTH_RADIUS_M * Math.asin(Math.sqrt(a));
  }
  return m;
}

/**
 * Free-flow speed by road class, read from the path name: the data has no road attributes. Paths on the
 * ring road, motorway interchanges, the toll station, the airport and the intercity roads (E90, Moudanion,
 * 424, Diavata) are taken as expressway (80 km/h); every other path as an urban arterial (50 km/h, the Greek
 * urban limit).
 */
export function freeFlowKmh(name: string): number {
  return /ring road|\bRR\b|interchange|toll|airport|E90|moudanion|\b424\b|diavata|malgara|thermi/i.test(name) ? 80 : 50;
}

/** Venue categories that are buildings, with the simulated use and typical size given to them. */
const BUILDING_USE: Record<string, { use: string; floor: number; kwPerM2: number }> = {
  museum: { use: 'museum', floor: 3_000, kwPerM2: 0.06 },
  culture: { use: 'culture', floor: 8_000, kwPerM2: 0.07 },
  sports: { use: 'sports', floor: 12_000, kwPerM2: 0.05 },
  market: { use: 'market', floor: 6_000, kwPerM2: 0.08 },
  station: { use: 'transport', floor: 7_000, kwPerM2: 0.06 },
  worship: { use: 'culture', floor: 1_200, kwPerM2: 0.05 },
};
/** Venues of category "other" that are roofed buildings (the arch and the palace ruins are not). */
const OTHER_BUILDINGS: Record<string, keyof typeof BUILDING_USE> = {
  'modiano-market': 'market',
  'new-railway-station': 'station',
  'hamza-bey-mosque-alcazar': 'worship',
};
const HOTSPOT_CAPACITY: Record<string, number> = { square: 400, museum: 150, culture: 250, sports: 800, port: 200, other: 150 };

let cached: AssetCollection | undefined;

/** The Thessaloniki catalogue: 178 road links, Wi-Fi hotspots at the 20 venues, 14 buildings. */
export function loadCatalogue(): AssetCollection {
  if (cached) return cached;
  const features: AssetFeature[] = [];
  for (const f of readCollection<RawPath, { coordinates: Pos[] }>('imet_itravel_paths_thessaloniki.geojson')) {
    const p = f.properties;
    const props: LinkProperties = {
      id: `link-${p.path_id}`,
      kind: 'traffic',
      name: p.path_name.trim(),
      path_id: p.path_id,
      length_m: Math.round(lineLengthM(f.geometry.coordinates)),
      free_flow_kmh: freeFlowKmh(p.path_name),
      free_flow_assumed: true,
      origin_detector: p.origin_device_id,
      destination_detector: p.destination_device_id,
    };
    features.push({ type: 'Feature', id: props.id, properties: props, geometry: { type: 'LineString', coordinates: f.geometry.coordinates } });
  }
  const venues = readCollection<RawVenue, { coordinates: Pos }>('thessaloniki_venues.geojson');
  for (const v of venues) {
    const p = v.properties;
    const props: HotspotProperties = {
      id: `hotspot-${p.id}`,
      kind: 'wifi',
      name: `${p.name} Wi-Fi`,
      venue: p.id,
      category: p.category,
      capacity: HOTSPOT_CAPACITY[p.category] ?? 150,
      simulated: true,
      simulated_fields: ['existence', 'capacity'],
    };
    features.push({ type: 'Feature', id: props.id, properties: props, geometry: { type: 'Point', coordinates: v.geometry.coordinates } });
  }
  for (const v of venues) {
    const p = v.properties;
    const cls = ['museum', 'culture', 'sports'].includes(p.category) ? p.category : OTHER_BUILDINGS[p.id];
    const spec = cls ? BUILDING_USE[cls] : undefined;
    if (!spec) continue;
    const props: BuildingProperties = {
      id: `building-${p.id}`,
      kind: 'energy',
      name: p.name,
      venue: p.id,
      use: spec.use,
      floor_area_m2: spec.floor,
      power_limit_kw: Math.round(spec.floor * spec.kwPerM2 * 1.6),
      simulated: true,
      simulated_fields: ['use', 'floor_area_m2', 'power_limit_kw'],
    };
    features.push({ type: 'Feature', id: props.id, properties: props, geometry: { type: 'Point', coordinates: v.geometry.coordinates } });
  }
  cached = { type: 'FeatureCollection', features, attribution: ATTRIBUTION };
  return cached;
}

/** The catalogue's assets of one kind. */
export function assetsOfKind(kind: Kind): AssetFeature[] {
  return loadCatalogue().features.filter((f) => f.properties.kind === kind);
}

/** Looks an asset up by id. */
export function findAsset(id: string): AssetFeature | undefined {
  if (!index) index = new Map(loadCatalogue().features.map((f) => [f.id, f]));
  return index.get(id);
}
let index: Map<string, AssetFeature> | undefined;

/** The municipality boundary (geodata.gov.gr, simplified) as GeoJSON. */
export function loadBoundary(): unknown {
  return JSON.parse(readFileSync(DATA_DIR + 'thessaloniki_municipality_boundary.geojson', 'utf8'));
}

/** The iTravel Bluetooth detector sites (the ends of the links) as GeoJSON. */
export function loadDetectors(): { type: 'FeatureCollection'; features: RawFeature<RawDetector, { type: 'Point'; coordinates: Pos }>[] } {
  return JSON.parse(readFileSync(DATA_DIR + 'imet_itravel_bluetooth_detectors_thessaloniki.geojson', 'utf8')) as never;
}
