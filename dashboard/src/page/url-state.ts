import { PANEL_RANGE_KEYS, PERIOD_KEYS, PLAY_SPEED_KEYS } from '../time/time-query.js';
import type { PanelRange, Period, PlaySpeed } from '../time/time-query.js';
import { LAYER_GROUP_KEYS } from '../map/style.js';
import type { LayerGroup } from '../map/style.js';

/** The dashboard's views: the map alone, or the map with one analysis drawer. */
export const VIEWS = ['map', 'traffic', 'energy', 'wifi', 'kpis', 'alerts'] as const;
export type ViewName = (typeof VIEWS)[number];

/** How buildings are coloured: power as a share of the limit, or energy per floor area over 24 h. */
export const BUILDING_MODES = ['load', 'intensity'] as const;
export type BuildingMode = (typeof BUILDING_MODES)[number];

/** Where the map looks: zoom and centre. */
export interface Camera { zoom: number; lat: number; lng: number }

/** Everything a shared link restores. `t` null means live; `camera` null means framed on the city. */
export interface UrlState {
  camera: Camera | null;
  view: ViewName;
  asset: string | null;
  t: number | null;
  hidden: LayerGroup[];
  buildings: BuildingMode;
  speed: PlaySpeed;
  range: PanelRange;
  compare: boolean;
  period: Period;
}

export const DEFAULT_STATE: UrlState = {
  camera: null, view: 'map', asset: null, t: null, hidden: [], buildings: 'load', speed: '15m', range: '1h', compare: false, period: '7d',
};

function oneOf<T extends string>(v: string | null, options: readonly T[], fallback: T): T {
  return v !== null && (options as readonly string[]).includes(v) ? (v as T) : fallback;
}

/**
 * Reads the state from a query string. Anything unknown or malformed falls back to its default rather than
 * failing: an old or hand-edited link still opens the dashboard.
 */
export function parseUrlState(search: string): UrlState {
  const q = new URLSearchParams(search);
  const tRaw = q.get('t');
  const t = tRaw && tRaw !== 'live' ? Date.parse(tRaw) : Number.NaN;
  const cam = /^(\d+(?:\.\d+)?)\/(-?\d+(?:\.\d+)?)\/(-?\d+(?:\.\d+)?)$/.exec(q.get('map') ?? '');
  const camera = cam ? { zoom: Number(cam[1]), lat: Number(cam[2]), lng: Number(cam[3]) } : null;
  const hidden = (q.get('off') ?? '').split(',').filter((g): g is LayerGroup => (LAYER_GROUP_KEYS as readonly string[]).includes(g));
  return {
    camera: camera && camera.zoom <= 24 && Math.abs(camera.lat) <= 90 && Math.abs(camera.lng) <= 180 ? camera : null,
    view: oneOf(q.get('view'), VIEWS, DEFAULT_STATE.view),
    asset: q.get('asset') || null,
    t: Number.isFinite(t) ? t : null,
    hidden: [...new Set(hidden)],
    buildings: oneOf(q.get('buildings'), BUILDING_MODES, DEFAULT_STATE.buildings),
    speed: oneOf(q.get('speed'), PLAY_SPEED_KEYS, DEFAULT_STATE.speed),
    range: oneOf(q.get('range'), PANEL_RANGE_KEYS, DEFAULT_STATE.range),
    compare: q.get('compare') === '1',
    period: oneOf(q.get('period'), PERIOD_KEYS, DEFAULT_STATE.period),
  };
}

/** The query string (with `?`, or empty) for a state: only what differs from the defaults, in a fixed order. */
export function formatUrlState(s: UrlState): string {
  const q = new URLSearchParams();
  if (s.view !== DEFAULT_STATE.view) q.set('view', s.view);
  if (s.asset) q.set('asset', s.asset);
  if (s.t !== null) q.set('t', new Date(s.t).toISOString());
  if (s.hidden.length) q.set('off', LAYER_GROUP_KEYS.filter((g) => s.hidden.includes(g)).join(','));
  if (s.buildings !== DEFAULT_STATE.buildings) q.set('buildings', s.buildings);
  if (s.speed !== DEFAULT_STATE.speed) q.set('speed', s.speed);
  if (s.range !== DEFAULT_STATE.range) q.set('range', s.range);
  if (s.compare) q.set('compare', '1');
  if (s.period !== DEFAULT_STATE.period) q.set('period', s.period);
  // OpenStreetMap's order and precision: zoom/lat/lng, about a metre at city zooms.
  if (s.camera) q.set('map', `${s.camera.zoom.toFixed(2)}/${s.camera.lat.toFixed(5)}/${s.camera.lng.toFixed(5)}`);
  const text = q.toString();
  return text ? `?${text}` : '';
}
