import type { Map as MapLibreMap } from 'maplibre-gl';
import type { AlertView } from '../model/alerts.js';
import type { ClockState } from '../time/clock.js';
import type { ShownChart } from '../panel/panel.js';
import type { AssetReading } from '../map/live-state.js';
import type { UrlState, ViewName } from './url-state.js';

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
  /** The side panel's asset and chart (URLs and uPlot data, with last week's when comparing), or null. */
  panel(): { asset: string | null; chart: ShownChart | null };
  /**
   * `performance.now()` marks (from navigation start): the module started (bundle fetched and parsed), catalogue
   * and boundary fetched, map `load` (first full render), `ready`.
   */
  timings: { script?: number; data?: number; load?: number; ready?: number };
  /** The dashboard's moment. */
  clock(): ClockState;
  /** Moves the dashboard to moment `t` (epoch ms), or back to live with null; resolves once everything settled. */
  setTime(t: number | null): Promise<void>;
  /** Resolves when no fetch is in flight, the open view has updated and the map is idle. */
  settled(): Promise<void>;
  /** The open view and what it computed (rows, series, heatmap grid and the URLs it read). */
  view(): { view: ViewName; data: unknown };
  /** Opens a view. */
  setView(view: ViewName): void;
  /** The state the URL holds. */
  urlState(): UrlState;
  /** Every alert the page knows (loaded and live), newest first. */
  alerts(): AlertView[];
}

declare global {
  interface Window { __cityhub?: CityHubTestHook }
}

/** Publishes the hook on `window.__cityhub`. */
export function installTestHook(hook: CityHubTestHook): void {
  window.__cityhub = hook;
}
