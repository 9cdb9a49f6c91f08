import 'maplibre-gl/dist/maplibre-gl.css';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { KINDS } from '@cityhub/contracts';
import type { Kind } from '@cityhub/contracts';
import { AlertLayer } from '../map/alert-layer.js';
import { AlertBook } from '../model/alerts.js';
import type { AlertView } from '../model/alerts.js';
import { Api, liveUrl, seriesUrl } from '../data/api.js';
import type { GeoJsonObject } from '../model/assets.js';
import { AssetIndex, bboxOfGeoJson, boundsOf, midpointOf, SOURCE_OF_KIND } from '../model/assets.js';
import { loadBasemap } from '../map/basemap.js';
import { Busy } from './busy.js';
import { setUpChrome, SHORT_MAP_PX, showError } from './chrome.js';
import { Clock } from '../time/clock.js';
import { renderBuildingMode, renderLayerToggles, renderLegend, renderSearch, showStatus } from '../ui/controls.js';
import type { Shown } from '../ui/display.js';
import { byId } from '../ui/dom.js';
import { HistoryMap } from '../map/history.js';
import { IntensityLayer } from '../map/intensity.js';
import { LiveClient } from '../data/live.js';
import { seedIntervals } from '../time/intervals.js';
import { applyUpdates, createMap, ensureVisible, Flag, frameCity, setGroupVisible, whenIdle, whenLoaded } from '../map/map.js';
import { IntervalBook, isOffline } from '../model/offline.js';
import { Panel } from '../panel/panel.js';
import { wirePointer } from '../map/pointer.js';
import { SeriesCache } from '../data/series-cache.js';
import { LiveState } from '../map/live-state.js';
import type { AssetReading } from '../map/live-state.js';
import { buildingColour, buildStyle } from '../map/style.js';
import { installTestHook } from './test-hook.js';
import type { CityHubTestHook } from './test-hook.js';
import { TimeBar } from '../ui/time-bar.js';
import { PLAY_SPEEDS } from '../time/time-query.js';
import { Tooltip } from '../map/tooltip.js';
import { parseUrlState } from './url-state.js';
import { UrlSync } from './url-sync.js';
import { Drawer } from '../panel/drawer.js';

/** When this module started running (the bundle is fetched and parsed by then): a mark of the first render's path. */
const SCRIPT_START = performance.now();
const EMPTY_BOUNDARY: GeoJsonObject = { type: 'FeatureCollection', features: [] };
/** How often, while live, the offline flags are re-checked (silence makes a device offline, not a message). */
const OFFLINE_CHECK_MS = 5_000;
/** How often, while live, the views re-read the present (the store's finest rollup is one minute). */
const LIVE_VIEW_REFRESH_MS = 60_000;
/** While playing, the history this many steps ahead is fetched before the player gets there. */
const PLAY_PREFETCH_STEPS = 60;

async function start(): Promise<void> {
  const controls = setUpChrome();
  const status = byId('status', HTMLElement);
  const url = new UrlSync(parseUrlState(window.location.search));
  const initial = url.current;

  const api = new Api(window.location.origin);
  const busy = new Busy();
  const cache = new SeriesCache((q) => busy.track(api.series(q)), (q) => seriesUrl(api.origin, q));
  // Alerts load alongside the map: the list and the map's rings fill in when they come.
  const alerts = new AlertBook();
  const loadAlerts = () => busy.track(Promise.all([api.alerts(), api.ruleNames().catch(() => undefined)]))
    .then(([list, names]) => alerts.load(list.items, names), (e: unknown) => alerts.fail((e as Error).message));
  void loadAlerts();
  // The map needs the catalogue to exist at all; /latest only colours it, so it runs alongside.
  const latest = Promise.all(KINDS.map((k) => api.latest(k)));
  latest.catch(() => undefined);
  const [boundary, links, hotspots, buildings, basemap] = await Promise.all([
    api.boundary().catch((e: unknown) => {
      showError(`The municipality boundary is unavailable (${(e as Error).message}); the map shows without it.`);
      return EMPTY_BOUNDARY;
    }),
    api.assets('traffic'),
    api.assets('wifi'),
    api.assets('energy'),
    loadBasemap(api),
  ]);
  const timings: CityHubTestHook['timings'] = { script: SCRIPT_START, data: performance.now() };
  const assets = new AssetIndex([links, hotspots, buildings]);
  const bounds = boundsOf(links.features) ?? boundsOf(assets.all()) ?? [22.85, 40.55, 23.05, 40.7];
  // A short map (a drawer open below it) frames the municipality: the whole network would leave the centre tiny.
  const core = bboxOfGeoJson(boundary) ?? bounds;
  const frame = () => frameCity(map, map.getContainer().clientHeight < SHORT_MAP_PX ? core : bounds, false);

  const style = buildStyle({ boundary, links, hotspots, buildings }, { basemap, buildingMode: initial.buildings });
  const map = createMap(byId('map', HTMLDivElement), style, bounds, initial.camera);
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
  const sink = (updates: Parameters<typeof applyUpdates>[1]) => void loaded.then(() => applyUpdates(map, updates));

  const intervals = new IntervalBook();
  const state = new LiveState(
    assets,
    (updates) => applyUpdates(map, updates),
    // Feature-state needs the sources in the style; until the map has loaded, readings only accumulate.
    (cb) => void loaded.then(() => requestAnimationFrame(() => cb())),
    (id, ts) => isOffline(ts, Date.now(), intervals.intervalOf(id)),
  );
  const ingestAll = (items: readonly AssetReading[]) => {
    for (const r of items) state.ingest(r);
  };

  // Each device's usual interval decides when it counts as offline: learn them while the map loads.
  const seeded = seedIntervals(cache, intervals).catch(() => undefined);
  const clock = new Clock();
  clock.setSpeed(initial.speed);
  const history = new HistoryMap({
    cache, assets, sink,
    intervalOf: (id) => intervals.intervalOf(id),
    reports: (id) => state.readingOf(id) !== undefined,
  });
  const intensity = new IntensityLayer(cache, assets, sink);
  const alertLayer = new AlertLayer(map, assets);
  /** Rings and halos of the alerts open at the dashboard's moment. */
  const drawAlerts = () => void loaded.then(() => alertLayer.show(alerts.activeAt(clock.state.t, clock.state.live)));
  const alertsOf = (id: string): AlertView[] => alerts.activeAt(clock.state.t, clock.state.live).filter((a) => a.asset === id);
  let buildingMode = initial.buildings;
  const shownOf = (id: string): Shown | null => (clock.state.live ? state.shownOf(id) : history.shownOf(id));

  const hover = new Flag(map, assets, 'hover');
  const selected = new Flag(map, assets, 'selected');
  let drawer: Drawer | null = null;
  const panel = new Panel(byId('panel', HTMLElement), {
    cache, origin: api.origin, assets, busy, shownOf,
    onSelect: (id) => {
      selected.set(id);
      url.set({ asset: id });
      drawer?.setContext({ selected: id });
      // The panel takes a column from the map: resize now rather than on the observer's next tick, then
      // bring the asset into view if the narrower map lost it.
      map.resize();
      const asset = id ? assets.find(id) : undefined;
      if (asset) ensureVisible(map, midpointOf(asset));
    },
    onOptions: (range, compare) => url.set({ range, compare }),
    alertsOf,
    ruleName: (r) => alerts.ruleName(r),
  }, { range: initial.range, compare: initial.compare });
  drawer = new Drawer({
    nav: byId('views', HTMLElement),
    root: byId('drawer', HTMLElement),
    deps: { cache, origin: api.origin, assets, busy, shownOf, openAsset: (id) => panel.open(id), alerts, reloadAlerts: () => void loadAlerts() },
    view: initial.view,
    period: initial.period,
    context: { t: initial.t ?? Date.now(), live: initial.t === null, selected: initial.asset && assets.find(initial.asset) ? initial.asset : null },
    onChange: (view, period) => {
      url.set({ view, period });
      // The drawer takes height from the map: refit the city unless the user has moved the map.
      requestAnimationFrame(() => {
        map.resize();
        controls.fitTo(map.getContainer().clientHeight);
        if (!url.current.camera) frame();
      });
    },
  });
  const alertsChanged = () => {
    drawAlerts();
    panel.refreshValues();
    drawer?.setCount('alerts', alerts.openCount() || null, 'open');
  };
  alerts.onChange(alertsChanged);
  alertsChanged();
  const timebar = new TimeBar(byId('timebar', HTMLElement), clock);
  // The drawer and the time bar now take their room: frame the city in what is left of the map.
  map.resize();
  controls.fitTo(map.getContainer().clientHeight);
  if (!initial.camera) frame();
  const tooltip = new Tooltip(byId('tooltip', HTMLDivElement));
  state.onFlush((ids) => {
    if (panel.current && ids.has(panel.current)) panel.refreshValues();
  });

  let wasLive = true;
  /** Draws the map, panel and views at the clock's moment. Resolves when the map has its colours. */
  const follow = async (): Promise<void> => {
    const s = clock.state;
    url.set({ t: s.live ? null : s.t, speed: s.speed });
    state.paused = !s.live;
    const painted = s.live ? Promise.resolve(true) : busy.track(history.showAt(s.t, s.speed));
    if (s.live && !wasLive) {
      // Back from the past: the live readings kept meanwhile replace every colour history wrote.
      history.reset();
      await loaded;
      state.repaintAll();
    }
    wasLive = s.live;
    timebar.setLoading(!s.live);
    const ok = await painted.catch((e: unknown) => {
      showError(`Could not load the history at that moment: ${(e as Error).message}`);
      return false;
    });
    if (ok) timebar.setLoading(false);
    if (buildingMode === 'intensity') await busy.track(intensity.showAt(s.t)).catch(() => undefined);
    panel.setTime(s.t, s.live);
    drawAlerts();
    drawer?.setContext({ t: s.t, live: s.live });
    if (!s.live && s.playing) void history.prefetch(s.t + PLAY_PREFETCH_STEPS * PLAY_SPEEDS[s.speed].step.ms, s.speed).catch(() => undefined);
  };
  clock.onChange(() => void follow());

  wirePointer(map, { assets, clock, hover, tooltip, shownOf, alertsOf, ruleName: (r) => alerts.ruleName(r), open: (id) => panel.open(id) });

  renderLayerToggles(byId('layers', HTMLFieldSetElement), initial.hidden, (group, on) => {
    setGroupVisible(map, group, on);
    tooltip.hide();
    const hidden = new Set(url.current.hidden);
    if (on) hidden.delete(group);
    else hidden.add(group);
    url.set({ hidden: [...hidden] });
  });
  const legend = byId('legend', HTMLElement);
  renderLegend(legend, buildingMode);
  renderBuildingMode(byId('building-mode', HTMLFieldSetElement), buildingMode, (m) => {
    buildingMode = m;
    url.set({ buildings: m });
    renderLegend(legend, m);
    void loaded.then(() => map.setPaintProperty('buildings', 'circle-color', buildingColour(m)));
    if (m === 'intensity') void busy.track(intensity.showAt(clock.state.t)).catch((e: unknown) => showError((e as Error).message));
  });
  renderSearch(byId('search', HTMLInputElement), byId('search-list', HTMLDataListElement), assets.all(),
    (id) => assets.find(id) !== undefined, (id) => panel.open(id));
  // Escape closes the innermost thing open: the details panel, then the analysis drawer.
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || e.defaultPrevented || document.querySelector('dialog[open]')) return;
    if (panel.current) panel.close();
    else if (drawer && drawer.view !== 'map') drawer.setView('map', true);
  });

  const refreshLatest = (kinds: readonly Kind[] = KINDS) =>
    Promise.all(kinds.map((k) => api.latest(k))).then((rs) => {
      for (const r of rs) ingestAll(r.items);
    });
  const live = new LiveClient({
    url: liveUrl(window.location),
    onReading: (r) => {
      if (state.ingest(r)) intervals.observe(r.asset, Date.parse(r.ts));
    },
    // An event about an alert the book never saw open (it opened before the list's window): read the list again.
    onAlert: (e) => {
      if (!alerts.apply(e)) void loadAlerts();
    },
    onStatus: (s) => showStatus(status, s),
    // Readings and alerts published while the socket was down are in the store: catch up from /latest and /alerts.
    onReconnect: () => {
      void refreshLatest().catch((e: unknown) => showError((e as Error).message));
      void loadAlerts();
    },
  });
  live.start();
  window.addEventListener('pagehide', () => live.close());
  setInterval(() => {
    if (clock.state.live) state.recheckOffline();
  }, OFFLINE_CHECK_MS);
  // Live, the views and the kWh/m² colours follow the clock too: new buckets close, offline hotspots change.
  setInterval(() => {
    if (!clock.state.live) return;
    drawer?.setContext({ t: Date.now(), live: true });
    if (buildingMode === 'intensity') void busy.track(intensity.showAt(Date.now())).catch(() => undefined);
  }, LIVE_VIEW_REFRESH_MS);

  const ready = (async () => {
    await loaded;
    await seeded;
    for (const r of await latest) ingestAll(r.items);
    state.flush();
    if (initial.asset && assets.find(initial.asset)) panel.open(initial.asset, false);
    if (initial.t !== null) clock.setTime(initial.t);
    else await follow();
    await whenIdle(map);
    timings.ready = performance.now();
  })();
  ready.catch((e: unknown) => showError(`Could not load the latest readings: ${(e as Error).message}`));

  const settled = async () => {
    await ready;
    for (let i = 0; i < 3; i++) {
      await busy.idle();
      await drawer?.settled();
    }
    await whenIdle(map);
  };
  installTestHook({
    map,
    ready,
    timings,
    stateOf(id) {
      const asset = assets.find(id);
      return asset ? (map.getFeatureState({ source: SOURCE_OF_KIND[asset.properties.kind], id }) as Record<string, unknown>) : null;
    },
    async apply(readings) {
      ingestAll(readings);
      await loaded;
      state.flush();
      await whenIdle(map);
    },
    panel: () => ({ asset: panel.current, chart: panel.shownChart }),
    clock: () => clock.state,
    async setTime(t) {
      if (t === null) clock.goLive();
      else clock.setTime(t);
      await settled();
    },
    settled,
    view: () => drawer?.data() ?? { view: 'map', data: null },
    setView: (v) => drawer?.setView(v),
    urlState: () => url.current,
    alerts: () => alerts.all(),
  });
}


start().catch((e: unknown) => {
  showError(`The dashboard could not start: ${(e as Error).message}`);
  console.error(e);
});
