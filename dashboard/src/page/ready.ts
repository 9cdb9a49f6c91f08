import type { LatestResponse } from '@cityhub/contracts';
import { whenIdle } from '../map/map.js';
import { SOURCE_OF_KIND } from '../model/assets.js';
import { showError } from './chrome.js';
import type { Page, Panels } from './context.js';
import { installTestHook } from './test-hook.js';
import type { CityHubTestHook } from './test-hook.js';

/** What the first full render waits for, and the marks it leaves. */
export interface FirstRender {
  /** The devices' usual intervals, learnt (or given up on). */
  seeded: Promise<unknown>;
  /** The first `/latest` of every kind. */
  latest: Promise<LatestResponse[]>;
  /** Draws everything at the clock's moment. */
  follow: () => Promise<void>;
  timings: CityHubTestHook['timings'];
}

/**
 * Applies the first `/latest` once the map has loaded, opens the URL's asset and moment, and installs the test
 * hook, whose `ready` resolves when all that is drawn.
 */
export function watchReady(page: Page, panels: Panels, first: FirstRender): void {
  const { map, state, clock, initial, assets } = page;
  const ready = (async () => {
    await page.loaded;
    await first.seeded;
    for (const r of await first.latest) page.ingestAll(r.items);
    // Every asset is written, a blank state ("no data", not offline) for one the hub never heard from: the map's
    // state says what the page knows of each asset from the start, not only of those with a reading.
    state.repaintAll();
    if (initial.asset && assets.find(initial.asset)) panels.panel.open(initial.asset, false);
    if (initial.t !== null) clock.setTime(initial.t);
    else await first.follow();
    await whenIdle(map);
    first.timings.ready = performance.now();
  })();
  ready.catch((e: unknown) => showError(`Could not load the latest readings: ${(e as Error).message}`));
  installTestHook(testHook(page, panels, ready, first.timings));
}

/** `window.__cityhub`: the page's state for browser tests (see test-hook.ts). */
function testHook(page: Page, { panel, drawer }: Panels, ready: Promise<void>, timings: CityHubTestHook['timings']): CityHubTestHook {
  const { map, assets, state, clock } = page;
  const settled = async () => {
    await ready;
    for (let i = 0; i < 3; i++) {
      await page.busy.idle();
      await drawer.settled();
    }
    await whenIdle(map);
  };
  return {
    map, ready, timings, settled,
    stateOf(id) {
      const asset = assets.find(id);
      return asset ? (map.getFeatureState({ source: SOURCE_OF_KIND[asset.properties.kind], id }) as Record<string, unknown>) : null;
    },
    async apply(readings) {
      page.ingestAll(readings);
      await page.loaded;
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
    view: () => drawer.data(),
    setView: (v) => drawer.setView(v),
    urlState: () => page.url.current,
    alerts: () => page.alerts.all(),
  };
}
