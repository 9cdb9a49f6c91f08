import { KINDS } from '@cityhub/contracts';
import type { Kind } from '@cityhub/contracts';
import { liveUrl } from '../data/api.js';
import { LiveClient } from '../data/live.js';
import { ensureVisible, Flag, setGroupVisible } from '../map/map.js';
import { wirePointer } from '../map/pointer.js';
import { buildingColour } from '../map/style.js';
import { Tooltip } from '../map/tooltip.js';
import { midpointOf } from '../model/assets.js';
import { Drawer } from '../panel/drawer.js';
import { Panel } from '../panel/panel.js';
import { PLAY_SPEEDS } from '../time/time-query.js';
import { renderBuildingMode, renderLayerToggles, renderLegend, renderSearch } from '../ui/controls.js';
import { byId } from '../ui/dom.js';
import { TimeBar } from '../ui/time-bar.js';
import { showError } from './chrome.js';
import type { Page, Panels } from './context.js';
import { watchFeed } from './feed.js';

/** How often, while live, the offline flags are re-checked (silence makes a device offline, not a message). */
const OFFLINE_CHECK_MS = 5_000;
/** How often, while live, the views re-read the present (the store's finest rollup is one minute). */
const LIVE_VIEW_REFRESH_MS = 60_000;
/** While playing, the history this many steps ahead is fetched before the player gets there. */
const PLAY_PREFETCH_STEPS = 60;

/** The asset panel and the analysis drawer, each opening the other's asset; the alert count on the tab. */
export function createPanels(page: Page): Panels {
  const { map, assets, url, initial, cache, api, busy, alerts } = page;
  const selected = new Flag(map, assets, 'selected');
  let drawer: Drawer | null = null;
  // A drag across a time chart moves the dashboard to the end of the range picked (live when it reaches now).
  const pick = (_from: number, to: number) => page.clock.setTime(to);
  const panel = new Panel(byId('panel', HTMLElement), {
    cache, origin: api.origin, assets, busy, shownOf: page.shownOf,
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
    alertsOf: page.alertsOf,
    ruleName: (r) => alerts.ruleName(r),
    pick,
  }, { range: initial.range, compare: initial.compare });
  drawer = new Drawer({
    nav: byId('views', HTMLElement),
    root: byId('drawer', HTMLElement),
    deps: { cache, origin: api.origin, assets, busy, shownOf: page.shownOf, openAsset: (id) => panel.open(id), alerts, reloadAlerts: () => void page.loadAlerts(), session: page.session, pick },
    view: initial.view,
    period: initial.period,
    context: { t: initial.t ?? Date.now(), live: initial.t === null, selected: initial.asset && assets.find(initial.asset) ? initial.asset : null },
    onChange: (view, period) => {
      url.set({ view, period });
      // The drawer takes height from the map: refit the city unless the user has moved the map.
      requestAnimationFrame(() => fitMap(page));
    },
  });
  const alertsChanged = () => {
    page.drawAlerts();
    panel.refreshValues();
    drawer.setCount('alerts', alerts.openCount() || null, 'open');
  };
  alerts.onChange(alertsChanged);
  alertsChanged();
  return { panel, drawer };
}

/** Resizes the map to its room, folds the layer box over a short map, and frames the city unless the user moved. */
function fitMap(page: Page): void {
  page.map.resize();
  page.controls.fitTo(page.map.getContainer().clientHeight);
  if (!page.url.current.camera) page.frame();
}

/**
 * The time bar, and the map, panel and views following the clock. Returns `follow`, which draws everything at the
 * clock's moment and resolves when the map has its colours.
 */
export function followClock(page: Page, { panel, drawer }: Panels): () => Promise<void> {
  const { clock, url, state, busy, history, loaded } = page;
  const timebar = new TimeBar(byId('timebar', HTMLElement), clock);
  // The drawer and the time bar now take their room: frame the city in what is left of the map.
  fitMap(page);
  state.onFlush((ids) => {
    if (panel.current && ids.has(panel.current)) panel.refreshValues();
  });
  let wasLive = true;
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
    if (page.buildingMode === 'intensity') await busy.track(page.intensity.showAt(s.t)).catch(() => undefined);
    panel.setTime(s.t, s.live);
    page.drawAlerts();
    drawer.setContext({ t: s.t, live: s.live });
    if (!s.live && s.playing) void history.prefetch(s.t + PLAY_PREFETCH_STEPS * PLAY_SPEEDS[s.speed].step.ms, s.speed).catch(() => undefined);
  };
  clock.onChange(() => void follow());
  return follow;
}

/** Hover and click on the map, the layer box (groups, building colours, legend), search and Escape. */
export function wireControls(page: Page, { panel, drawer }: Panels): void {
  const { map, assets, url, alerts } = page;
  const tooltip = new Tooltip(byId('tooltip', HTMLDivElement));
  wirePointer(map, {
    assets, clock: page.clock, hover: new Flag(map, assets, 'hover'), tooltip, shownOf: page.shownOf, alertsOf: page.alertsOf,
    ruleName: (r) => alerts.ruleName(r), open: (id) => panel.open(id),
  });
  renderLayerToggles(byId('layers', HTMLFieldSetElement), page.initial.hidden, (group, on) => {
    setGroupVisible(map, group, on);
    tooltip.hide();
    const hidden = new Set(url.current.hidden);
    if (on) hidden.delete(group);
    else hidden.add(group);
    url.set({ hidden: [...hidden] });
  });
  const legend = byId('legend', HTMLElement);
  renderLegend(legend, page.buildingMode);
  renderBuildingMode(byId('building-mode', HTMLFieldSetElement), page.buildingMode, (m) => {
    page.buildingMode = m;
    url.set({ buildings: m });
    renderLegend(legend, m);
    void page.loaded.then(() => map.setPaintProperty('buildings', 'circle-color', buildingColour(m)));
    if (m === 'intensity') void page.busy.track(page.intensity.showAt(page.clock.state.t)).catch((e: unknown) => showError((e as Error).message));
  });
  renderSearch(byId('search', HTMLInputElement), byId('search-list', HTMLDataListElement), assets.all(),
    (id) => assets.find(id) !== undefined, (id) => panel.open(id));
  // Escape closes the innermost thing open: the details panel, then the analysis drawer.
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || e.defaultPrevented || document.querySelector('dialog[open]')) return;
    if (panel.current) panel.close();
    else if (drawer.view !== 'map') drawer.setView('map', true);
  });
}

/** The live socket (readings, alerts, catching up after a reconnect) and the timers that keep "live" current. */
export function wireLive(page: Page, drawer: Drawer): void {
  const { api, state, intervals, alerts, clock, busy, feed } = page;
  const refreshLatest = (kinds: readonly Kind[] = KINDS) =>
    Promise.all(kinds.map((k) => api.latest(k))).then((rs) => {
      for (const r of rs) page.ingestAll(r.items);
    });
  // While the socket is down the map follows /latest, and offline is judged as of the last answer.
  const onStatus = watchFeed({ feed, refreshLatest, polled: () => {
    if (clock.state.live) state.recheckOffline();
  } });
  const live = new LiveClient({
    url: liveUrl(window.location),
    onReading: (r) => {
      if (state.ingest(r)) intervals.observe(r.asset, Date.parse(r.ts));
    },
    // An event about an alert the book never saw open (it opened before the list's window): read the list again.
    onAlert: (e) => {
      if (!alerts.apply(e)) void page.loadAlerts();
    },
    onStatus,
    // Readings and alerts published while the socket was down are in the store: catch up from /latest and /alerts.
    onReconnect: () => {
      void refreshLatest().catch((e: unknown) => showError((e as Error).message));
      void page.loadAlerts();
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
    drawer.setContext({ t: Date.now(), live: true });
    if (page.buildingMode === 'intensity') void busy.track(page.intensity.showAt(Date.now())).catch(() => undefined);
  }, LIVE_VIEW_REFRESH_MS);
}
