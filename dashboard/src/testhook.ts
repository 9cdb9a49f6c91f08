import type { Map as MapLibreMap } from 'maplibre-gl';
import type { ShownChart } from './panel.js';
import type { AssetReading } from './state.js';

/**
 * A testing aid, not an API: browser tests read the page's state through `window.__cityhub` instead of
 * guessing from pixels alone. Nothing in the dashboard itself uses it.
 */
export interface CityHubTestHook {
  /** The MapLibre map. */
  map: MapLibreMap;
  /** Resolves when the sources are loaded, the first `/latest` is applied and the map is idle. */
  ready: Promise<void>;
  /** An asset's feature-state on the map (what its colour is computed from), or null if unknown. */
  stateOf(assetId: string): Record<string, unknown> | null;
  /** Feeds readings through the same path as the live socket (batched per frame); resolves when drawn. */
  apply(readings: AssetReading[]): Promise<void>;
  /** The side panel's asset and chart (URL and uPlot data), or null. */
  panel(): { asset: string | null; chart: ShownChart | null };
  /** `performance.now()` marks: catalogue and boundary fetched, map `load` (first full render), `ready`. */
  timings: { data?: number; load?: number; ready?: number };
}

declare global {
  interface Window { __cityhub?: CityHubTestHook }
}

/** Publishes the hook on `window.__cityhub`. */
export function installTestHook(hook: CityHubTestHook): void {
  window.__cityhub = hook;
}
