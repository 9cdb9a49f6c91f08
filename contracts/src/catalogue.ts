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

/** Options of {@link loadCatalogue}, {@link assetsOfKind} and {@link findAsset}. */
export interface CatalogueOptions {
  /**
   * Synthetic assets to add after the real ones, for load tests with more devices than Thessaloniki has
   * assets (default 0: the real catalogue only). See {@link syntheticAssets}.
   */
  synthetic?: number;
}

/** The most synthetic assets a catalogue may hold (the simulator's own device limit). */
export const MAX_SYNTHETIC_ASSETS = 100_000;
/** Every synthetic asset id starts with this. */
export const SYNTHETIC_PREFIX = 'syn-';

/** The Thessaloniki catalogue: 178 road links, Wi-Fi hotspots at the 20 venues, 14 buildings; plus synthetic assets if asked. */
export function loadCatalogue(opts: CatalogueOptions = {}): AssetCollection {
  const n = syntheticCount(opts);
  if (n === 0) return realCatalogue();
  let c = withSynthetic.get(n);
  if (!c) {
    const real = realCatalogue();
    c = { type: 'FeatureCollection', features: [...real.features, ...syntheticAssets(n)], attribution: real.attribution };
    // A process uses one or two counts; keep a few without letting a caller grow the cache without bound.
    if (withSynthetic.size >= 4) withSynthetic.clear();
    withSynthetic.set(n, c);
  }
  return c;
}
const withSynthetic = new Map<number, AssetCollection>();

function syntheticCount(opts: CatalogueOptions): number {
  const n = opts.synthetic ?? 0;
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_SYNTHETIC_ASSETS) {
    throw new RangeError(`synthetic must be an integer from 0 to ${MAX_SYNTHETIC_ASSETS}, not ${String(opts.synthetic)}`);
  }
  return n;
}

function realCatalogue(): AssetCollection {
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

/** The catalogue's assets of one kind (synthetic ones too, if asked). */
export function assetsOfKind(kind: Kind, opts: CatalogueOptions = {}): AssetFeature[] {
  return loadCatalogue(opts).features.filter((f) => f.properties.kind === kind);
}

/** Looks an asset up by id; a synthetic id is found only when `opts.synthetic` covers it. */
export function findAsset(id: string, opts: CatalogueOptions = {}): AssetFeature | undefined {
  if (!index) index = new Map(realCatalogue().features.map((f) => [f.id, f]));
  const real = index.get(id);
  if (real || !id.startsWith(SYNTHETIC_PREFIX)) return real;
  const n = syntheticCount(opts);
  const k = syntheticIndex(id);
  return k !== null && k < n ? syntheticAsset(k) : undefined;
}
let index: Map<string, AssetFeature> | undefined;

/**
 * The real assets in the order synthetic copies are made of them: the kinds interleaved in proportion to
 * their sizes (each kind's i-th asset at (i + ½) / size of the way through), so that any number of
 * synthetic assets has about the kinds' shares of the real catalogue (178 : 20 : 14).
 */
function templates(): AssetFeature[] {
  if (templateOrder) return templateOrder;
  const byKind = new Map<Kind, AssetFeature[]>();
  for (const f of realCatalogue().features) {
    const list = byKind.get(f.properties.kind) ?? [];
    list.push(f);
    byKind.set(f.properties.kind, list);
  }
  const keyed = [...byKind.values()].flatMap((list, k) => list.map((f, i) => ({ f, key: (i + 0.5) / list.length, k })));
  templateOrder = keyed.sort((a, b) => a.key - b.key || a.k - b.k).map((x) => x.f);
  return templateOrder;
}
let templateOrder: AssetFeature[] | undefined;

/**
 * The id of synthetic asset `k` (0-based): `syn-<copy>-<real asset id>`, copy 1 for the first pass over the
 * real catalogue, 2 for the second, and so on. Stable: it depends on `k` only, never on how many are made.
 */
export function syntheticAssetId(k: number): string {
  const t = templates();
  return `${SYNTHETIC_PREFIX}${Math.floor(k / t.length) + 1}-${t[k % t.length]!.id}`;
}

/** The index `k` of a synthetic asset id, or null if `id` is not one. */
export function syntheticIndex(id: string): number | null {
  const m = /^syn-([1-9][0-9]{0,5})-(.+)$/.exec(id);
  if (!m) return null;
  const t = templates();
  const pos = templatePos ??= new Map(t.map((f, i) => [f.id, i]));
  const i = pos.get(m[2]!);
  if (i === undefined) return null;
  const k = (Number(m[1]) - 1) * t.length + i;
  return k < MAX_SYNTHETIC_ASSETS ? k : null;
}
let templatePos: Map<string, number> | undefined;

/**
 * Synthetic asset `k`: a copy of a real asset with its own id and name and `synthetic: true`. Its geometry
 * is the real asset's (never an invented coordinate), so it draws on the map where its template is; its
 * simulated readings differ because the models draw their constants from the asset id.
 */
export function syntheticAsset(k: number): AssetFeature {
  const t = templates();
  const template = t[k % t.length]!;
  const copy = Math.floor(k / t.length) + 1;
  const id = syntheticAssetId(k);
  const p = template.properties;
  const name = `${p.name} (synthetic ${copy})`;
  const properties: AssetFeature['properties'] = p.kind === 'traffic'
    ? { ...p, id, name, synthetic: true }
    : { ...p, id, name, synthetic: true, simulated_fields: [...new Set(['existence', ...p.simulated_fields])] };
  return { type: 'Feature', id, properties, geometry: template.geometry };
}

/** The first `n` synthetic assets (see {@link syntheticAsset}). */
export function syntheticAssets(n: number): AssetFeature[] {
  return Array.from({ length: syntheticCount({ synthetic: n }) }, (_, k) => syntheticAsset(k));
}

/** The municipality boundary (geodata.gov.gr, simplified) as GeoJSON. */
export function loadBoundary(): unknown {
  return JSON.parse(readFileSync(DATA_DIR + 'thessaloniki_municipality_boundary.geojson', 'utf8'));
}

/** The iTravel Bluetooth detector sites (the ends of the links) as GeoJSON. */
export function loadDetectors(): { type: 'FeatureCollection'; features: RawFeature<RawDetector, { type: 'Point'; coordinates: Pos }>[] } {
  return JSON.parse(readFileSync(DATA_DIR + 'imet_itravel_bluetooth_detectors_thessaloniki.geojson', 'utf8')) as never;
}
