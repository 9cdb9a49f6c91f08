import type { Map as MapLibreMap } from 'maplibre-gl';
import type { Api } from '../data/api.js';
import type { SeriesCache } from '../data/series-cache.js';
import type { HistoryMap } from '../map/history.js';
import type { IntensityLayer } from '../map/intensity.js';
import type { AssetReading, LiveState, StateUpdate } from '../map/live-state.js';
import type { AlertBook, AlertView } from '../model/alerts.js';
import type { AssetIndex } from '../model/assets.js';
import type { FeedWatch } from '../model/feed.js';
import type { IntervalBook } from '../model/offline.js';
import type { Drawer } from '../panel/drawer.js';
import type { Panel } from '../panel/panel.js';
import type { Clock } from '../time/clock.js';
import type { Shown } from '../ui/display.js';
import type { Busy } from './busy.js';
import type { ControlsFold } from './chrome.js';
import type { PageSession } from './session.js';
import type { BuildingMode, UrlState } from './url-state.js';
import type { UrlSync } from './url-sync.js';

/** What the page holds before the catalogue arrives: the URL, the API and its cache, the alerts. */
export interface PageBase {
  /** The state the URL held when the page opened. */
  initial: UrlState;
  url: UrlSync;
  controls: ControlsFold;
  api: Api;
  busy: Busy;
  cache: SeriesCache;
  alerts: AlertBook;
  /** Reads the alert list (and the rule names) again. */
  loadAlerts: () => Promise<void>;
  /** Who is signed in (the header's sign-in), and what they may do. */
  session: PageSession;
}

/** The map and its catalogue. */
export interface CityMap {
  assets: AssetIndex;
  map: MapLibreMap;
  /** Resolves once the map's style and sources are loaded. */
  loaded: Promise<void>;
  /** Frames the city in the map as it is now sized (the municipality when the map is short). */
  frame: () => void;
  /** Writes feature-state once the map has loaded. */
  sink: (updates: readonly StateUpdate[]) => void;
}

/** Everything the page's parts share once the map exists. */
export interface Page extends PageBase, CityMap {
  intervals: IntervalBook;
  /** The live feed: up or lost since when, and the moment the page's data is current to. */
  feed: FeedWatch;
  state: LiveState;
  clock: Clock;
  history: HistoryMap;
  intensity: IntensityLayer;
  /** How buildings are coloured now (the layer box switches it). */
  buildingMode: BuildingMode;
  /** What an asset shows at the dashboard's moment: live state, or history in the past. */
  shownOf: (id: string) => Shown | null;
  /** An asset's alerts open at the dashboard's moment. */
  alertsOf: (id: string) => AlertView[];
  /** Draws the rings and halos of the alerts open at the dashboard's moment. */
  drawAlerts: () => void;
  /** Feeds readings into the live state. */
  ingestAll: (items: readonly AssetReading[]) => void;
}

/** The asset panel and the analysis drawer. */
export interface Panels {
  panel: Panel;
  drawer: Drawer;
}
