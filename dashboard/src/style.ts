import type { MapOptions } from 'maplibre-gl';
import type { AssetCollection } from '@cityhub/contracts';
import { HOTSPOT_COLOUR, LOAD_RAMP, NO_DATA_COLOUR, rampExpression, SPEED_RAMP } from './colour.js';
import type { GeoJsonObject } from './api.js';

/** A MapLibre style document. */
export type StyleSpecification = Exclude<MapOptions['style'], string | undefined>;
type Layer = StyleSpecification['layers'][number];
type ColourValue = NonNullable<Extract<Layer, { type: 'line' }>['paint']>['line-color'];

/** Page background: a pale water tint, since the city's edge is the Thermaic Gulf. */
export const BACKGROUND_COLOUR = '#dae5ea';
const LAND_COLOUR = '#f5f3ee';
const BOUNDARY_LINE_COLOUR = '#7d8794';

/** The toggleable groups of layers, by the label the layer switcher shows. */
export const LAYER_GROUPS = {
  roads: { label: 'Road links', layers: ['links-casing', 'links'] },
  wifi: { label: 'Wi-Fi hotspots', layers: ['hotspots'] },
  energy: { label: 'Buildings (energy)', layers: ['buildings'] },
  boundary: { label: 'Municipality boundary', layers: ['boundary-fill', 'boundary-line'] },
} as const;
export type LayerGroup = keyof typeof LAYER_GROUPS;

/** Layers the pointer interacts with (hover tooltip, click panel), topmost first. */
export const INTERACTIVE_LAYERS = ['buildings', 'hotspots', 'links'] as const;

const hovered = ['boolean', ['feature-state', 'hover'], false];
const selected = ['boolean', ['feature-state', 'selected'], false];
const hasClients = ['==', ['typeof', ['feature-state', 'clients']], 'number'];

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

/** The data the style is built from, as the API served it. */
export interface StyleData {
  boundary: GeoJsonObject;
  links: AssetCollection;
  hotspots: AssetCollection;
  buildings: AssetCollection;
}

const geojson = (c: AssetCollection) =>
  ({ type: 'geojson', data: { type: 'FeatureCollection', features: c.features }, promoteId: 'id' }) as const;

/**
 * The whole map style, built in code: no remote tiles, sprites or glyphs, so it renders with no network beyond
 * the hub. There is no symbol layer (it would need glyphs): labels and tooltips are HTML.
 */
export function buildStyle(data: StyleData): StyleSpecification {
  const layers = [
    { id: 'background', type: 'background', paint: { 'background-color': BACKGROUND_COLOUR } },
    { id: 'boundary-fill', type: 'fill', source: 'boundary', paint: { 'fill-color': LAND_COLOUR } },
    {
      id: 'boundary-line', type: 'line', source: 'boundary',
      paint: { 'line-color': BOUNDARY_LINE_COLOUR, 'line-width': 1.5, 'line-dasharray': [3, 2] },
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
        'line-color': rampExpression(SPEED_RAMP, 'ratio') as ColourValue,
        'line-width': linkWidth(0),
        'line-offset': linkOffset,
      },
    },
    {
      id: 'hotspots', type: 'circle', source: 'hotspots',
      paint: {
        // Area, not radius, grows with the number of clients.
        'circle-radius': ['interpolate', ['linear'], ['sqrt', ['coalesce', ['feature-state', 'clients'], 0]], 0, 4, 10, 9, 30, 20],
        'circle-color': ['case', hasClients, HOTSPOT_COLOUR, NO_DATA_COLOUR],
        'circle-opacity': 0.55,
        'circle-stroke-color': ['case', ['any', hovered, selected], '#111111', hasClients, HOTSPOT_COLOUR, NO_DATA_COLOUR],
        'circle-stroke-width': ['case', ['any', hovered, selected], 2.5, 1.5],
      },
    },
    {
      id: 'buildings', type: 'circle', source: 'buildings',
      paint: {
        'circle-radius': ['case', ['any', hovered, selected], 9, 7],
        'circle-color': rampExpression(LOAD_RAMP, 'ratio') as ColourValue,
        'circle-stroke-color': '#1f1f1f',
        'circle-stroke-width': ['case', ['any', hovered, selected], 3, 2],
      },
    },
  ] as Layer[];
  return {
    version: 8,
    name: 'City Hub (offline)',
    sources: {
      boundary: { type: 'geojson', data: data.boundary as never },
      links: geojson(data.links),
      hotspots: geojson(data.hotspots),
      buildings: geojson(data.buildings),
    },
    layers,
  };
}
