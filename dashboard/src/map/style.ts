import type { MapOptions } from 'maplibre-gl';
import type { AssetCollection } from '@cityhub/contracts';
import { HOTSPOT_COLOUR, INTENSITY_RAMP, LOAD_RAMP, NO_DATA_COLOUR, OFFLINE_FILL, OFFLINE_MARK, rampExpression, SEVERITY_COLOUR, SPEED_RAMP } from '../model/colour.js';
import type { GeoJsonObject } from '../model/assets.js';

/** A MapLibre style document. */
export type StyleSpecification = Exclude<MapOptions['style'], string | undefined>;
type Layer = StyleSpecification['layers'][number];
type ColourValue = NonNullable<Extract<Layer, { type: 'line' }>['paint']>['line-color'];

/**
 * The sea: the map's background, a pale water tint. The land is drawn over it (`land`), so the Thermaic Gulf shows
 * where no municipality lies.
 */
export const BACKGROUND_COLOUR = '#dae5ea';
export const LAND_COLOUR = '#f5f3ee';
const LABEL_COLOUR = '#2b3440';
/** The font the links' names are drawn in: the style's `font-faces` name it (see `map/fonts.ts`). */
export const LABEL_FONT = 'DejaVu Sans';
const BOUNDARY_LINE_COLOUR = '#7d8794';

/** The toggleable groups of layers, by the label the layer switcher shows. */
export const LAYER_GROUPS = {
  roads: { label: 'Road links', layers: ['links-casing', 'links', 'links-offline', 'link-labels'] },
  wifi: { label: 'Wi-Fi hotspots', layers: ['hotspots', 'hotspots-offline'] },
  energy: { label: 'Buildings (energy)', layers: ['buildings', 'buildings-offline'] },
  boundary: { label: 'Municipality boundary', layers: ['boundary-fill', 'boundary-line'] },
  alerts: { label: 'Open alerts', layers: ['alerts-lines', 'alerts-points'] },
} as const;
export type LayerGroup = keyof typeof LAYER_GROUPS;
export const LAYER_GROUP_KEYS = Object.keys(LAYER_GROUPS) as LayerGroup[];

/** Layers the pointer interacts with (hover tooltip, click panel), topmost first. */
export const INTERACTIVE_LAYERS = ['buildings', 'hotspots', 'links'] as const;

const hovered = ['boolean', ['feature-state', 'hover'], false];
const selected = ['boolean', ['feature-state', 'selected'], false];
const offline = ['boolean', ['feature-state', 'offline'], false];
const hasClients = ['==', ['typeof', ['feature-state', 'clients']], 'number'];

/** An alert feature's colour by its `severity` property. */
const severityColour = ['match', ['get', 'severity'], 'critical', SEVERITY_COLOUR.critical, 'warning', SEVERITY_COLOUR.warning, SEVERITY_COLOUR.info];
/** A halo's width at a zoom: the link's own width and a band each side, wider for a critical alert. */
const haloWidth = (critical: number, other: number) => ['match', ['get', 'severity'], 'critical', critical, other];

/** Line width by zoom, wider when hovered or selected. */
function linkWidth(extra: number) {
  const at = (w: number) => ['case', ['any', hovered, selected], w * 1.8 + extra, w + extra];
  return ['interpolate', ['linear'], ['zoom'], 10, at(2), 12, at(3), 14, at(5), 17, at(10)];
}
/**
 * Links are directed and the two directions of a road share its geometry: each is drawn offset to its right
 * (by half its width, as traffic maps do) so that both stay visible.
 */
const linkOffset = ['interpolate', ['linear'], ['zoom'], 10, 1.3, 12, 2, 14, 3, 17, 6];

/**
 * The buildings' fill for a colouring mode: power over the power limit (`ratio`), or energy per floor area over
 * the last 24 hours (`kwhm2`). Offline buildings are pale whatever the mode.
 */
export function buildingColour(mode: 'load' | 'intensity'): ColourValue {
  const ramp = mode === 'load' ? rampExpression(LOAD_RAMP, 'ratio') : rampExpression(INTENSITY_RAMP, 'kwhm2');
  return ['case', offline, OFFLINE_FILL, ramp] as unknown as ColourValue;
}

/** The data the style is built from, as the API served it. */
export interface StyleData {
  boundary: GeoJsonObject;
  links: AssetCollection;
  hotspots: AssetCollection;
  buildings: AssetCollection;
}

const geojson = (c: AssetCollection) =>
  ({ type: 'geojson', data: { type: 'FeatureCollection', features: c.features }, promoteId: 'id' }) as const;

/** A circle layer that marks offline points with a dark ring and dot (circles cannot be hatched). */
function offlineDot(id: string, source: string): Layer {
  return {
    id, type: 'circle', source,
    paint: {
      'circle-radius': 2.5,
      'circle-color': OFFLINE_MARK,
      'circle-opacity': ['case', offline, 1, 0],
      'circle-stroke-width': 0,
    },
  } as unknown as Layer;
}

/**
 * The city's layers, bottom to top. `base` (not over a basemap) adds the sea (the background), the land over it
 * when the style has a `land` source, and the municipality's fill.
 */
function cityLayers(base: { land: boolean } | null, buildingMode: 'load' | 'intensity'): Layer[] {
  const under = base ? [
    { id: 'background', type: 'background', paint: { 'background-color': BACKGROUND_COLOUR } },
    // The outline in the land's own colour closes the hairline gaps where two municipalities' simplified borders
    // do not quite meet, which would otherwise show the sea through the land.
    ...(base.land ? [{ id: 'land', type: 'fill', source: 'land', paint: { 'fill-color': LAND_COLOUR, 'fill-outline-color': LAND_COLOUR } }] : []),
    { id: 'boundary-fill', type: 'fill', source: 'boundary', paint: { 'fill-color': LAND_COLOUR } },
  ] : [];
  return [...under, ...linkLayers(), linkLabels(), ...pointLayers(buildingMode)] as Layer[];
}

/** The zoom from which the links' names are drawn along them: street level, where a name fits its link. */
export const LABEL_MIN_ZOOM = 13;

/**
 * Each link's name along it at street zooms, drawn in the font the style declares in `font-faces` (served by the
 * hub, rasterised by MapLibre in the page: no glyph server). The two directions of a road share its line, so one
 * of their names wins the place and the other is left out; under the hotspots and buildings.
 */
function linkLabels(): object {
  return {
    id: 'link-labels', type: 'symbol', source: 'links', minzoom: LABEL_MIN_ZOOM,
    layout: {
      'symbol-placement': 'line',
      'text-field': ['get', 'name'],
      'text-font': [LABEL_FONT],
      'text-size': ['interpolate', ['linear'], ['zoom'], LABEL_MIN_ZOOM, 10, 17, 13],
      'text-max-angle': 35,
      'symbol-spacing': 350,
      'text-padding': 2,
    },
    paint: { 'text-color': LABEL_COLOUR, 'text-halo-color': '#ffffff', 'text-halo-width': 1.6 },
  };
}

/** The boundary's line and the road links: alert halos, casing, speed colour and offline dots. */
function linkLayers(): object[] {
  return [
  {
    id: 'boundary-line', type: 'line', source: 'boundary',
    paint: { 'line-color': BOUNDARY_LINE_COLOUR, 'line-width': 1.5, 'line-dasharray': [3, 2] },
  },
  {
    // A link with an open alert gets a halo in the severity's colour, under its white casing: the link keeps
    // its speed colour, the halo says that something is wrong there.
    id: 'alerts-lines', type: 'line', source: 'alerts', filter: ['==', ['geometry-type'], 'LineString'],
    layout: { 'line-cap': 'round', 'line-join': 'round' },
    paint: {
      'line-color': severityColour,
      'line-width': ['interpolate', ['linear'], ['zoom'], 10, haloWidth(10, 8), 12, haloWidth(12, 10), 14, haloWidth(16, 13), 17, haloWidth(24, 20)],
      'line-offset': linkOffset,
      'line-opacity': 0.75,
      'line-blur': 1.5,
    },
  },
  {
    id: 'links-casing', type: 'line', source: 'links',
    layout: { 'line-cap': 'round', 'line-join': 'round' },
    paint: {
      'line-color': ['case', selected, '#111111', '#ffffff'],
      'line-width': linkWidth(2),
      'line-offset': linkOffset,
      'line-opacity': 0.9,
    },
  },
  {
    id: 'links', type: 'line', source: 'links',
    layout: { 'line-cap': 'round', 'line-join': 'round' },
    paint: {
      'line-color': ['case', offline, OFFLINE_FILL, rampExpression(SPEED_RAMP, 'ratio')] as unknown as ColourValue,
      'line-width': linkWidth(0),
      'line-offset': linkOffset,
    },
  },
  {
    // Dots over the pale line of an offline link: hatched, so "offline" never reads as a speed. Its layout
    // is the links' own, so MapLibre lays the three link layers out as one bucket (a third of the work).
    id: 'links-offline', type: 'line', source: 'links',
    layout: { 'line-cap': 'round', 'line-join': 'round' },
    paint: {
      'line-color': OFFLINE_MARK,
      'line-width': linkWidth(0),
      'line-offset': linkOffset,
      'line-dasharray': [0.4, 2],
      'line-opacity': ['case', offline, 1, 0],
    },
  },
  ];
}

/** Hotspots and buildings: alert rings under them, then the circles and their offline dots. */
function pointLayers(buildingMode: 'load' | 'intensity'): object[] {
  return [
  {
    // A hotspot or building with an open alert gets a ring outside its own circle (the radius comes with the
    // feature: a hotspot's circle grows with its clients). Under the points, so it never hides one.
    id: 'alerts-points', type: 'circle', source: 'alerts', filter: ['==', ['geometry-type'], 'Point'],
    paint: {
      'circle-radius': ['get', 'radius'],
      'circle-opacity': 0,
      'circle-stroke-color': severityColour,
      'circle-stroke-width': ['match', ['get', 'severity'], 'critical', 4, 3],
      'circle-stroke-opacity': 1,
    },
  },
  {
    id: 'hotspots', type: 'circle', source: 'hotspots',
    paint: {
      // Area, not radius, grows with the number of clients.
      'circle-radius': ['case', offline, 7,
        ['interpolate', ['linear'], ['sqrt', ['coalesce', ['feature-state', 'clients'], 0]], 0, 4, 10, 9, 30, 20]],
      'circle-color': ['case', offline, OFFLINE_FILL, hasClients, HOTSPOT_COLOUR, NO_DATA_COLOUR],
      'circle-opacity': ['case', offline, 1, 0.55],
      'circle-stroke-color': ['case', ['any', hovered, selected], '#111111', offline, OFFLINE_MARK, hasClients, HOTSPOT_COLOUR, NO_DATA_COLOUR],
      'circle-stroke-width': ['case', ['any', hovered, selected], 2.5, offline, 2, 1.5],
    },
  },
  offlineDot('hotspots-offline', 'hotspots'),
  {
    id: 'buildings', type: 'circle', source: 'buildings',
    paint: {
      'circle-radius': ['case', ['any', hovered, selected], 9, 7],
      'circle-color': buildingColour(buildingMode),
      'circle-stroke-color': ['case', offline, OFFLINE_MARK, '#1f1f1f'],
      'circle-stroke-width': ['case', ['any', hovered, selected], 3, 2],
    },
  },
  offlineDot('buildings-offline', 'buildings'),
  ];
}

/** Options of the style. */
export interface StyleOptions {
  /** A style to draw the city over, instead of the sea and land. */
  basemap?: StyleSpecification | null;
  /** How buildings start coloured. */
  buildingMode?: 'load' | 'intensity';
  /** The land: the URL (absolute, on the hub) of a GeoJSON of polygons drawn over the sea. Not over a basemap. */
  land?: string | null;
  /** The `font-faces` of the links' names (absolute URLs of font files on the hub), `LABEL_FONT` among them. */
  fontFaces?: StyleSpecification['font-faces'];
}

/**
 * The whole map style, built in code: no remote tiles, sprites or glyph server, so it renders with no network
 * beyond the hub: the sea, the land, the municipality, the city's assets and the links' names (drawn from the font
 * files of `fontFaces`). With a basemap, the city's layers go over the basemap's (see `mergeBasemap`).
 */
export function buildStyle(data: StyleData, opts: StyleOptions = {}): StyleSpecification {
  const land = !opts.basemap && !!opts.land;
  const sources: StyleSpecification['sources'] = {
    ...(land ? { land: { type: 'geojson', data: opts.land! } } : {}),
    boundary: { type: 'geojson', data: data.boundary as never },
    links: geojson(data.links),
    hotspots: geojson(data.hotspots),
    buildings: geojson(data.buildings),
    // Open alerts, one feature per asset (see alertlayer.ts): a handful, so rewritten whole when one opens or clears.
    alerts: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
  };
  const mode = opts.buildingMode ?? 'load';
  if (opts.basemap) {
    const merged = mergeBasemap(opts.basemap, sources, cityLayers(null, mode));
    return opts.fontFaces ? { ...merged, 'font-faces': { ...opts.basemap['font-faces'], ...opts.fontFaces } } : merged;
  }
  return {
    version: 8, name: 'City Hub (offline)', sources, layers: cityLayers({ land }, mode),
    ...(opts.fontFaces ? { 'font-faces': opts.fontFaces } : {}),
  };
}

/**
 * The basemap with the city's sources and layers on top. Basemap sources or layers whose ids clash with the
 * city's are renamed with a `base-` prefix (the references in its layers follow), so neither hides the other.
 */
export function mergeBasemap(base: StyleSpecification, sources: StyleSpecification['sources'], layers: readonly Layer[]): StyleSpecification {
  const cityLayerIds = new Set(layers.map((l) => l.id));
  const rename = (id: string, taken: (x: string) => boolean) => {
    let n = `base-${id}`;
    while (taken(n)) n = `base-${n}`;
    return n;
  };
  const baseSources: StyleSpecification['sources'] = {};
  const sourceName = new Map<string, string>();
  for (const [id, src] of Object.entries(base.sources)) {
    const name = id in sources ? rename(id, (x) => x in sources || x in base.sources) : id;
    sourceName.set(id, name);
    baseSources[name] = src;
  }
  const baseLayers = base.layers.map((l) => {
    const out = { ...l } as Layer & { source?: unknown };
    if (cityLayerIds.has(l.id)) out.id = rename(l.id, (x) => cityLayerIds.has(x) || base.layers.some((b) => b.id === x));
    if (typeof out.source === 'string') out.source = sourceName.get(out.source) ?? out.source;
    return out;
  });
  return { ...base, sources: { ...baseSources, ...sources }, layers: [...baseLayers, ...layers] };
}
