import { AttributionControl, Map as MapLibreMap, NavigationControl, prewarm, ScaleControl, setWorkerUrl } from 'maplibre-gl';
import type { MapMouseEvent } from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import { ATTRIBUTION } from '@cityhub/contracts';
import { SOURCE_OF_KIND } from '../model/assets.js';
import type { AssetIndex } from '../model/assets.js';
import { INTERACTIVE_LAYERS, LAYER_GROUPS } from './style.js';
import type { LayerGroup, StyleSpecification } from './style.js';
import type { StateUpdate } from './live-state.js';
import type { Camera } from '../page/url-state.js';

// Bundled, maplibre's default worker URL (next to its own module) would not exist: point it at the copy
// Vite emits. Then start the workers while the catalogue is still being fetched, not after.
setWorkerUrl(workerUrl);
prewarm();

/** Creates the map on `container` with `style`, at `camera` or else framed on `bounds`. */
export function createMap(container: HTMLElement, style: StyleSpecification, bounds: [number, number, number, number],
  camera: Camera | null = null): MapLibreMap {
  const map = new MapLibreMap({
    container,
    style,
    ...(camera ? { center: [camera.lng, camera.lat] as [number, number], zoom: camera.zoom } : { bounds }),
    fitBoundsOptions: { padding: framePadding(container) },
    attributionControl: false,
    maplibreLogo: false,
    // Nothing to fetch but the hub: no tile cache to warm, no RTL text plugin, no glyphs.
    validateStyle: true,
    dragRotate: false,
    pitchWithRotate: false,
  });
  map.touchZoomRotate.disableRotation();
  map.addControl(new NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new ScaleControl({ unit: 'metric' }), 'bottom-left');
  const attribution = new AttributionControl({ compact: true, customAttribution: ATTRIBUTION });
  map.addControl(attribution, 'bottom-right');
  // A compact attribution starts expanded, covering the south of the city; the footer already shows the
  // full text, so start it folded (its (i) button opens it).
  map.once('load', () => {
    const el = container.querySelector<HTMLDetailsElement>('.maplibregl-ctrl-attrib');
    el?.classList.remove('maplibregl-compact-show');
    el?.removeAttribute('open');
  });
  return map;
}

/**
 * Room to leave around the city when framing it: the layer and legend box covers the map's top-left corner
 * (when it is open and the map wide enough to spare its width), the zoom buttons the right.
 */
function framePadding(container: HTMLElement): { top: number; bottom: number; left: number; right: number } {
  const box = container.parentElement?.querySelector<HTMLElement>('.controls-body');
  const left = container.clientWidth > 700 && box && !box.hidden ? 260 : 24;
  return { top: 24, bottom: 24, left, right: 56 };
}

/** Frames the whole city (`bounds`) in the map as it is now sized. */
export function frameCity(map: MapLibreMap, bounds: [number, number, number, number], animate = true): void {
  map.fitBounds(bounds, { padding: framePadding(map.getContainer()), duration: animate ? 300 : 0 });
}

/** Resolves once the map has loaded its style and sources and rendered them. */
export function whenLoaded(map: MapLibreMap): Promise<void> {
  if (map.loaded()) return Promise.resolve();
  return new Promise((resolve) => map.once('load', () => resolve()));
}

/**
 * Resolves at the next `idle` after a repaint: every change made before the call is then on screen. The
 * repaint is forced because `idle` may already have fired (even in the same frame as `load`).
 */
export function whenIdle(map: MapLibreMap): Promise<void> {
  return new Promise((resolve) => {
    map.once('idle', () => resolve());
    map.triggerRepaint();
  });
}

/** Writes feature-state updates to the map. */
export function applyUpdates(map: MapLibreMap, updates: readonly StateUpdate[]): void {
  for (const u of updates) map.setFeatureState({ source: u.source, id: u.id }, u.state);
}

/** Shows or hides a layer group. */
export function setGroupVisible(map: MapLibreMap, group: LayerGroup, on: boolean): void {
  for (const id of LAYER_GROUPS[group].layers) map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
}

/** The asset under the pointer (within a few pixels: lines are thin), topmost layer first. */
export function assetAt(map: MapLibreMap, e: MapMouseEvent, slop = 4): string | null {
  const { x, y } = e.point;
  const layers = INTERACTIVE_LAYERS.filter((l) => map.getLayoutProperty(l, 'visibility') !== 'none');
  if (layers.length === 0) return null;
  const hits = map.queryRenderedFeatures([[x - slop, y - slop], [x + slop, y + slop]], { layers });
  for (const layer of INTERACTIVE_LAYERS) {
    const hit = hits.find((f) => f.layer.id === layer);
    if (hit && typeof hit.id === 'string') return hit.id;
  }
  return null;
}

/** Sets a boolean feature-state flag (`hover`, `selected`) on one asset, or clears it from another. */
export class Flag {
  private id: string | null = null;
  constructor(private readonly map: MapLibreMap, private readonly assets: AssetIndex, private readonly key: string) {}

  get current(): string | null {
    return this.id;
  }

  set(id: string | null): void {
    if (id === this.id) return;
    for (const [target, value] of [[this.id, false], [id, true]] as const) {
      const asset = target ? this.assets.find(target) : undefined;
      if (asset) this.map.setFeatureState({ source: SOURCE_OF_KIND[asset.properties.kind], id: asset.id }, { [this.key]: value });
    }
    this.id = id;
  }
}

/** Eases the map to `lngLat` when it is off screen or within `margin` pixels of the edge. */
export function ensureVisible(map: MapLibreMap, lngLat: [number, number], margin = 40): void {
  const p = map.project(lngLat);
  const c = map.getContainer();
  if (p.x < margin || p.y < margin || p.x > c.clientWidth - margin || p.y > c.clientHeight - margin) {
    map.easeTo({ center: lngLat, duration: 300 });
  }
}
