/**
 * Step 6: the dashboard in Debian's Chromium (playwright-core, the flags in dashboard/test/browser.ts, WebGL on SwiftShader), on
 * the hub of step 4 with its month of data. First render is the page's own mark of MapLibre's `load` (the
 * first full render), ready is `/latest` applied and the map idle, both from navigation start; recolour is
 * every link given a new reading through the live path, until the map is idle again. Each view's data is ready
 * when, after the tab opens, no fetch is in flight, the view has drawn and the map is idle (the page's `settled`);
 * the deep link is a navigation, with the browser's cache cleared, to the dashboard a day ago, until settled.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Page } from 'playwright-core';
import type { BenchContext } from '../lib/context.js';
import type { BenchHub } from '../lib/hub.js';
import { figure, type Figure } from '../lib/stats.js';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--enable-unsafe-swiftshader',
];

/** The analysis views, opened in this order from the map. */
export const VIEWS = ['traffic', 'energy', 'wifi', 'kpis', 'alerts'] as const;
export type ViewName = (typeof VIEWS)[number];
const DAY_MS = 86_400_000;
const QUARTER_MS = 900_000;

export interface DashboardResults {
  /** MapLibre `load`: the first full render, from navigation start. */
  firstRenderMs: Figure;
  /** `/latest` applied and the map idle, from navigation start. */
  readyMs: Figure;
  /** All links recoloured by feature-state, to idle. */
  recolourMs: Figure;
  /** Each view's data ready, from opening its tab. */
  viewReadyMs: Record<ViewName, Figure>;
  /** A cold deep link to a moment a day ago (`?t=`): everything settled, from navigation start. */
  deepLinkReadyMs: Figure;
  links: number;
  viewport: string;
}

interface Timings { data?: number; load?: number; ready?: number }
interface Hook {
  ready: Promise<void>; timings: Timings; map: { querySourceFeatures(s: string): Array<{ properties: Record<string, unknown> }> };
  apply(r: unknown[]): Promise<void>; setView(v: string): void; settled(): Promise<void>;
}

/** Opens each view in turn (back on the map between two) and times it until the page has settled. */
async function viewTimes(page: Page): Promise<Record<ViewName, number>> {
  return page.evaluate(async (views) => {
    const hook = (window as unknown as { __cityhub: Hook }).__cityhub;
    const out = {} as Record<ViewName, number>;
    for (const v of views) {
      hook.setView('map');
      await hook.settled();
      const t0 = performance.now();
      hook.setView(v);
      await hook.settled();
      out[v] = performance.now() - t0;
    }
    hook.setView('map');
    return out;
  }, VIEWS);
}

/** Navigates, with the browser's cache cleared, to the dashboard at a quarter hour a day ago; settled, from navigation start. */
async function deepLinkTime(page: Page, httpUrl: string): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.clearBrowserCache');
  await cdp.detach();
  const t = Math.floor((Date.now() - DAY_MS) / QUARTER_MS) * QUARTER_MS;
  await page.goto(`${httpUrl}/?t=${new Date(t).toISOString()}`, { waitUntil: 'load', timeout: 60_000 });
  await page.waitForFunction(() => (window as unknown as { __cityhub?: unknown }).__cityhub !== undefined, undefined, { timeout: 60_000 });
  // `ready` does not wait for the past moment's history: until settled (its fetches done, the map idle) it is not there.
  return page.evaluate(async () => {
    const hook = (window as unknown as { __cityhub: Hook }).__cityhub;
    await hook.ready;
    await hook.settled();
    return performance.now();
  });
}

export async function dashboard(ctx: BenchContext, hub: BenchHub): Promise<DashboardResults> {
  if (!existsSync(CHROMIUM)) throw new Error('Chromium is not installed: apt-get install -y chromium');
  const first: number[] = [], ready: number[] = [], recolour: number[] = [], deep: number[] = [];
  const views = Object.fromEntries(VIEWS.map((v) => [v, [] as number[]])) as Record<ViewName, number[]>;
  let links = 0;
  for (let r = 0; r < ctx.runs; r++) {
    const profile = await mkdtemp(join(tmpdir(), 'cityhub-bench-chromium-'));
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 800 } });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      await page.goto(hub.httpUrl + '/', { waitUntil: 'load', timeout: 60_000 });
      await page.waitForFunction(() => (window as unknown as { __cityhub?: unknown }).__cityhub !== undefined, undefined, { timeout: 60_000 });
      const t = await page.evaluate(async () => {
        const hook = (window as unknown as { __cityhub: Hook }).__cityhub;
        await hook.ready;
        return hook.timings;
      });
      first.push(t.load ?? NaN);
      ready.push(t.ready ?? NaN);
      const rc = await page.evaluate(async () => {
        const hook = (window as unknown as { __cityhub: Hook }).__cityhub;
        const ids = [...new Set(hook.map.querySourceFeatures('links').map((f) => String(f.properties.id)))];
        const ts = new Date().toISOString();
        const readings = ids.map((asset, i) => ({ asset, kind: 'traffic', device: 'bench', ts, values: { speed_kmh: (i * 7) % 90 } }));
        const t0 = performance.now();
        await hook.apply(readings);
        return { ms: performance.now() - t0, n: ids.length };
      });
      recolour.push(rc.ms);
      links = rc.n;
      const vt = await viewTimes(page);
      for (const v of VIEWS) views[v].push(vt[v]);
      deep.push(await deepLinkTime(page, hub.httpUrl));
      ctx.log(`dashboard run ${r + 1}: first render ${t.load?.toFixed(0)} ms, ready ${t.ready?.toFixed(0)} ms, recolour ${rc.n} links ${rc.ms.toFixed(0)} ms; ` +
        `views ready ${VIEWS.map((v) => `${v} ${vt[v].toFixed(0)}`).join(', ')} ms; deep link a day back ready ${deep.at(-1)!.toFixed(0)} ms`);
    } finally {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    }
  }
  return {
    firstRenderMs: figure(first), readyMs: figure(ready), recolourMs: figure(recolour),
    viewReadyMs: Object.fromEntries(VIEWS.map((v) => [v, figure(views[v])])) as Record<ViewName, Figure>,
    deepLinkReadyMs: figure(deep), links, viewport: '1280×800',
  };
}
