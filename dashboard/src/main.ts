import 'maplibre-gl/dist/maplibre-gl.css';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { ATTRIBUTION, KINDS } from '@cityhub/contracts';
import type { Kind } from '@cityhub/contracts';
import { Api, liveUrl } from './api.js';
import type { GeoJsonObject } from './api.js';
import { AssetIndex, boundsOf, midpointOf, SOURCE_OF_KIND } from './assets.js';
import { renderLayerToggles, renderLegend, renderSearch, showStatus } from './controls.js';
import { byId } from './dom.js';
import { LiveClient } from './live.js';
import { applyUpdates, assetAt, createMap, ensureVisible, Flag, setGroupVisible, whenIdle, whenLoaded } from './map.js';
import { Panel } from './panel.js';
import { LiveState } from './state.js';
import type { AssetReading } from './state.js';
import { buildStyle } from './style.js';
import { installTestHook } from './testhook.js';
import type { CityHubTestHook } from './testhook.js';
import { Tooltip, tooltipContent } from './tooltip.js';

const EMPTY_BOUNDARY: GeoJsonObject = { type: 'FeatureCollection', features: [] };

function showError(message: string): void {
  const box = byId('error', HTMLDivElement);
  box.textContent = message;
  box.hidden = false;
}

async function start(): Promise<void> {
  byId('attribution', HTMLElement).textContent = ATTRIBUTION;
  const about = byId('about', HTMLDialogElement);
  byId('about-open', HTMLButtonElement).addEventListener('click', () => about.showModal());
  byId('about-attribution', HTMLElement).textContent = ATTRIBUTION;
  const status = byId('status', HTMLElement);

  const api = new Api(window.location.origin);
  // The map needs the catalogue to exist at all; /latest only colours it, so it runs alongside.
  const latest = Promise.all(KINDS.map((k) => api.latest(k)));
  latest.catch(() => undefined);
  const [boundary, links, hotspots, buildings] = await Promise.all([
    api.boundary().catch((e: unknown) => {
      showError(`The municipality boundary is unavailable (${(e as Error).message}); the map shows without it.`);
      return EMPTY_BOUNDARY;
    }),
    api.assets('traffic'),
    api.assets('wifi'),
    api.assets('energy'),
  ]);
  const timings: CityHubTestHook['timings'] = { data: performance.now() };
  const assets = new AssetIndex([links, hotspots, buildings]);
  const bounds = boundsOf(links.features) ?? boundsOf(assets.all()) ?? [22.85, 40.55, 23.05, 40.7];

  const map = createMap(byId('map', HTMLDivElement), buildStyle({ boundary, links, hotspots, buildings }), bounds);
  const loaded = whenLoaded(map).then(() => {
    timings.load = performance.now();
  });

  const state = new LiveState(
    assets,
    (updates) => applyUpdates(map, updates),
    // Feature-state needs the sources in the style; until the map has loaded, readings only accumulate.
    (cb) => void loaded.then(() => requestAnimationFrame(() => cb())),
  );
  const ingestAll = (items: readonly AssetReading[]) => {
    for (const r of items) state.ingest(r);
  };

  const hover = new Flag(map, assets, 'hover');
  const selected = new Flag(map, assets, 'selected');
  const panel = new Panel(byId('panel', HTMLElement), {
    api,
    assets,
    readingOf: (id) => state.readingOf(id),
    onSelect: (id) => {
      selected.set(id);
      // The panel takes a column from the map: resize now rather than on the observer's next tick, then
      // bring the asset into view if the narrower map lost it.
      map.resize();
      const asset = id ? assets.find(id) : undefined;
      if (asset) ensureVisible(map, midpointOf(asset));
    },
  });
  const tooltip = new Tooltip(byId('tooltip', HTMLDivElement));
  state.onFlush((ids) => {
    if (panel.current && ids.has(panel.current)) panel.refreshValues();
  });

  map.on('mousemove', (e) => {
    const id = assetAt(map, e);
    hover.set(id);
    map.getCanvas().style.cursor = id ? 'pointer' : '';
    const asset = id ? assets.find(id) : undefined;
    if (asset) tooltip.show(tooltipContent(asset, state.readingOf(asset.id), Date.now()), e.point.x, e.point.y);
    else tooltip.hide();
  });
  map.getCanvas().addEventListener('mouseleave', () => {
    hover.set(null);
    tooltip.hide();
  });
  map.on('click', (e) => {
    const id = assetAt(map, e);
    if (id) panel.open(id);
  });

  renderLayerToggles(byId('layers', HTMLFieldSetElement), (group, on) => {
    setGroupVisible(map, group, on);
    tooltip.hide();
  });
  renderLegend(byId('legend', HTMLElement));
  renderSearch(byId('search', HTMLInputElement), byId('search-list', HTMLDataListElement), assets.all(),
    (id) => assets.find(id) !== undefined, (id) => panel.open(id));

  const refreshLatest = (kinds: readonly Kind[] = KINDS) =>
    Promise.all(kinds.map((k) => api.latest(k))).then((rs) => {
      for (const r of rs) ingestAll(r.items);
    });
  const live = new LiveClient({
    url: liveUrl(window.location),
    onReading: (r) => state.ingest(r),
    onStatus: (s) => showStatus(status, s),
    // Readings published while the socket was down are in the store: catch up from /latest.
    onReconnect: () => void refreshLatest().catch((e: unknown) => showError((e as Error).message)),
  });
  live.start();
  window.addEventListener('pagehide', () => live.close());

  const ready = (async () => {
    await loaded;
    for (const r of await latest) ingestAll(r.items);
    state.flush();
    await whenIdle(map);
    timings.ready = performance.now();
  })();
  ready.catch((e: unknown) => showError(`Could not load the latest readings: ${(e as Error).message}`));

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
  });
}

start().catch((e: unknown) => {
  showError(`The dashboard could not start: ${(e as Error).message}`);
  console.error(e);
});
