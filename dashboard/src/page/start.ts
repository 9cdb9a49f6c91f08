import { KINDS } from '@cityhub/contracts';
import type { AssetCollection, PageConfig } from '@cityhub/contracts';
import { Api, seriesUrl } from '../data/api.js';
import { SeriesCache } from '../data/series-cache.js';
import { loadBasemap } from '../map/basemap.js';
import { HistoryMap } from '../map/history.js';
import { IntensityLayer } from '../map/intensity.js';
import { LiveState } from '../map/live-state.js';
import { applyUpdates, createMap, frameCity, setGroupVisible, whenLoaded } from '../map/map.js';
import { AlertLayer } from '../map/alert-layer.js';
import { labelFontFaces, landUrl } from '../map/street-context.js';
import { buildStyle } from '../map/style.js';
import type { StyleSpecification } from '../map/style.js';
import { AlertBook } from '../model/alerts.js';
import { AssetIndex, bboxOfGeoJson, boundsOf } from '../model/assets.js';
import type { GeoJsonObject } from '../model/assets.js';
import { FeedWatch } from '../model/feed.js';
import { IntervalBook, isOffline } from '../model/offline.js';
import { setCityZone } from '../time/city.js';
import { Clock } from '../time/clock.js';
import { findOldest, seedIntervals } from '../time/intervals.js';
import { byId } from '../ui/dom.js';
import { Busy } from './busy.js';
import { setUpChrome, SHORT_MAP_PX, showError } from './chrome.js';
import type { CityMap, Page, PageBase } from './context.js';
import { watchReady } from './ready.js';
import type { CityHubTestHook } from './test-hook.js';
import { parseUrlState } from './url-state.js';
import { UrlSync } from './url-sync.js';
import { createPanels, followClock, wireControls, wireLive } from './wiring.js';
import { setUpDataApi } from './data-api.js';
import { offerSingleSignOn, PageSession, setUpSignIn } from './session.js';

const EMPTY_BOUNDARY: GeoJsonObject = { type: 'FeatureCollection', features: [] };
const DAY_MS = 86_400_000;

/** What the first render needs: the hub's configuration, the boundary, the catalogue and the basemap. */
interface FirstData {
  config: PageConfig;
  boundary: GeoJsonObject;
  links: AssetCollection;
  hotspots: AssetCollection;
  buildings: AssetCollection;
  basemap: StyleSpecification | null;
}

/** Starts the dashboard; `scriptStart` is when the bundle began to run (a mark of the first render's path). */
export async function start(scriptStart: number): Promise<void> {
  const base = pageBase();
  // Alerts load alongside the map: the list and the map's rings fill in when they come.
  void base.loadAlerts();
  // The map needs the catalogue to exist at all; /latest only colours it, so it runs alongside.
  const latest = Promise.all(KINDS.map((k) => base.api.latest(k)));
  latest.catch(() => undefined);
  const first = await loadFirst(base.api);
  // Every local time on the page is in the hub's zone: set it before anything is drawn.
  setCityZone(first.config.tz);
  offerSingleSignOn(first.config.oidc, base.session);
  const timings: CityHubTestHook['timings'] = { script: scriptStart, data: performance.now() };
  const page = createPage(base, createCityMap(base, first, timings), first.config);
  // Each device's usual interval decides when it counts as offline: learn them while the map loads.
  const seeded = seedIntervals(page.cache, page.intervals).catch(() => undefined);
  // The slider starts at the oldest reading the hub holds: found alongside the first render, not before it.
  void findOldest(page.cache, first.config.retentionDays * DAY_MS).then((t) => {
    if (t !== null) page.clock.setOldest(t);
  }, () => undefined);
  const panels = createPanels(page);
  const follow = followClock(page, panels);
  wireControls(page, panels);
  wireLive(page, panels.drawer);
  setUpDataApi(() => ({ view: panels.drawer.view, period: page.url.current.period, t: page.clock.state.t }));
  watchReady(page, panels, { seeded, latest, follow, timings });
}

/** The URL state, the API client, its series cache and the alert book. */
function pageBase(): PageBase {
  const controls = setUpChrome();
  const url = new UrlSync(parseUrlState(window.location.search));
  const api = new Api(window.location.origin);
  const busy = new Busy();
  const cache = new SeriesCache((q) => busy.track(api.series(q)), (q) => seriesUrl(api.origin, q));
  const alerts = new AlertBook();
  const loadAlerts = () => busy.track(Promise.all([api.alerts(), api.ruleNames().catch(() => undefined)]))
    .then(([list, names]) => alerts.load(list.items, names), (e: unknown) => alerts.fail((e as Error).message));
  const session = new PageSession(api.origin);
  setUpSignIn(session);
  return { initial: url.current, url, controls, api, busy, cache, alerts, loadAlerts, session };
}

/** Reads the configuration (then its basemap), the boundary and the catalogue, all at once. */
async function loadFirst(api: Api): Promise<FirstData> {
  const configured = api.config().then(async (config) => ({ config, basemap: await loadBasemap(api, config.basemapStyle) }));
  const [boundary, links, hotspots, buildings, { config, basemap }] = await Promise.all([
    api.boundary().catch((e: unknown) => {
      showError(`The municipality boundary is unavailable (${(e as Error).message}); the map shows without it.`);
      return EMPTY_BOUNDARY;
    }),
    api.assets('traffic'),
    api.assets('wifi'),
    api.assets('energy'),
    configured,
  ]);
  return { config, boundary, links, hotspots, buildings, basemap };
}

/** The catalogue's index and the map drawn from it, at the URL's camera or framed on the city. */
function createCityMap(base: PageBase, first: FirstData, timings: CityHubTestHook['timings']): CityMap {
  const { boundary, links, hotspots, buildings, basemap } = first;
  const { initial, url } = base;
  const assets = new AssetIndex([links, hotspots, buildings]);
  const bounds = boundsOf(links.features) ?? boundsOf(assets.all()) ?? [22.85, 40.55, 23.05, 40.7];
  // A short map (a drawer open below it) frames the municipality: the whole network would leave the centre tiny.
  const core = bboxOfGeoJson(boundary) ?? bounds;
  const style = buildStyle({ boundary, links, hotspots, buildings }, {
    basemap, buildingMode: initial.buildings, land: landUrl(), fontFaces: labelFontFaces(),
  });
  const map = createMap(byId('map', HTMLDivElement), style, bounds, initial.camera);
  const frame = () => frameCity(map, map.getContainer().clientHeight < SHORT_MAP_PX ? core : bounds, false);
  // Only a move the user made goes into the URL: the initial framing and easing to a picked asset do not.
  map.on('moveend', (e: { originalEvent?: unknown }) => {
    if (!e.originalEvent && !url.current.camera) return;
    const c = map.getCenter();
    url.set({ camera: { zoom: map.getZoom(), lat: c.lat, lng: c.lng } });
  });
  const loaded = whenLoaded(map).then(() => {
    timings.load = performance.now();
    for (const g of initial.hidden) setGroupVisible(map, g, false);
  });
  const sink: CityMap['sink'] = (updates) => void loaded.then(() => applyUpdates(map, updates));
  return { assets, map, loaded, frame, sink };
}

/** The live state, the clock (over the hub's retention), the history and kWh/m² layers, the alert rings. */
function createPage(base: PageBase, cityMap: CityMap, config: PageConfig): Page {
  const { assets, map, loaded, sink } = cityMap;
  const intervals = new IntervalBook();
  // The first /latest was asked for as the page opened: until the socket opens, the data is current as of then.
  const feed = new FeedWatch(Date.now, Date.now() - performance.now());
  const state = new LiveState(
    assets,
    (updates) => applyUpdates(map, updates),
    // Feature-state needs the sources in the style; until the map has loaded, readings only accumulate.
    (cb) => void loaded.then(() => requestAnimationFrame(() => cb())),
    // Offline is the devices' silence as the hub has told it, not the page's own: judged as of the feed's data.
    (id, ts) => isOffline(ts, feed.asOf(), intervals.intervalOf(id)),
  );
  const clock = new Clock(Date.now, config.retentionDays * DAY_MS);
  clock.setSpeed(base.initial.speed);
  const history = new HistoryMap({
    cache: base.cache, assets, sink,
    intervalOf: (id) => intervals.intervalOf(id),
    reports: (id) => state.readingOf(id) !== undefined,
    since: () => clock.earliest,
  });
  const alertLayer = new AlertLayer(map, assets);
  const alertsOf = (id: string) => base.alerts.activeAt(clock.state.t, clock.state.live).filter((a) => a.asset === id);
  return {
    ...base, ...cityMap, intervals, feed, state, clock, history,
    intensity: new IntensityLayer(base.cache, assets, sink),
    buildingMode: base.initial.buildings,
    shownOf: (id) => (clock.state.live ? state.shownOf(id) : history.shownOf(id)),
    alertsOf,
    drawAlerts: () => void loaded.then(() => alertLayer.show(base.alerts.activeAt(clock.state.t, clock.state.live))),
    ingestAll: (items) => {
      for (const r of items) state.ingest(r);
    },
  };
}
