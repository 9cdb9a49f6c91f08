/**
 * Runs one render case (see `cases.ts`): opens the page at the case's URL state, then for each step does its
 * action, waits until the dashboard has settled, checks its expectations and saves its screenshot.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Page } from 'playwright-core';
import { DEFAULT_CITY_TZ } from '@cityhub/contracts';
import type { PageConfig } from '@cityhub/contracts';
import { colourDistance } from '../src/model/colour.js';
import type { EnergyData } from '../src/views/energy.js';
import type {} from '../src/page/test-hook.js';
import { durationMs, resolveTime } from './cases.js';
import type { Action, Expectation, RunContext, Step, TestCase } from './cases.js';
import { checkCsv, checkEnergy, checkPanel, checkTargets, checkTraffic, checkWifi } from './checks.js';
import { pixelsAround } from './browser.js';
import { isolatedPoint, pixelsOf, settled, stateOf } from './probe.js';

/** RGB distance under which a pixel "is" a colour. */
const SAME_COLOUR = 40;
/** Docs screenshots are committed: keep each small. */
const MAX_DOC_BYTES = 300 * 1024;

/** What a case's steps leave for later steps (the last download). */
interface CaseState { download: string | null }

/** The URL state's defaults, which the address bar leaves out. */
const URL_DEFAULTS: Record<string, unknown> = { view: 'map', asset: null, t: null, period: '7d', range: '1h', speed: '15m', buildings: 'load', compare: false };

/** The query parameter (name, value or null when left out) that holds a URL state field. */
function addressParam(key: string, value: string | number | boolean | string[] | null): [string, string | null] {
  if (value === URL_DEFAULTS[key] || value === null || (Array.isArray(value) && value.length === 0)) return [key === 'hidden' ? 'off' : key, null];
  if (key === 't') return ['t', new Date(value as number).toISOString()];
  if (key === 'compare') return ['compare', '1'];
  if (key === 'hidden') return ['off', (value as string[]).join(',')];
  return [key, String(value)];
}

export async function runCase(page: Page, c: TestCase, ctx: RunContext): Promise<void> {
  const [width, height] = c.viewport ?? [1280, 800];
  await page.setViewportSize({ width, height });
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(c.url ?? {})) params.set(k, k === 't' ? new Date(resolveTime(v, ctx.anchors)!).toISOString() : v);
  const routes: string[] = [];
  if (c.basemap) {
    // The hub's own GET /api/v1/config names no basemap: answer it here instead, pointing at a style served here too.
    const styleUrl = `${ctx.hub.httpUrl}/test-basemap.json`;
    const config: PageConfig = { basemapStyle: styleUrl, retentionDays: 30, tz: DEFAULT_CITY_TZ };
    await page.route('**/api/v1/config', (r) => r.fulfill({ json: config }));
    await page.route(styleUrl, (r) => r.fulfill({ json: c.basemap }));
    routes.push('**/api/v1/config', styleUrl);
  }
  try {
    await page.goto(`${ctx.hub.httpUrl}/${params.size ? `?${params}` : ''}`);
    await page.waitForFunction(() => window.__cityhub !== undefined);
    await page.evaluate(() => window.__cityhub!.ready);
    await settled(page);
    const state: CaseState = { download: null };
    for (const [i, step] of c.steps.entries()) {
      const where = `${c.name} step ${i + 1}`;
      if (step.do) await act(page, step.do, ctx, state);
      await settled(page);
      if (step.expect) await check(page, step.expect, ctx, where, state);
      if (step.screenshot) await shoot(page, c, step, ctx);
    }
  } finally {
    for (const r of routes) await page.unroute(r);
  }
}

async function act(page: Page, a: Action, ctx: RunContext, state: CaseState): Promise<void> {
  const time = (v: string) => resolveTime(v, ctx.anchors);
  if (a.slide) {
    // The real control: the range input, as a drag or the arrow keys would set it.
    await page.locator('#time-slider').fill(String(time(a.slide) ?? Date.now()));
  } else if (a.setTime) {
    await page.evaluate((t) => window.__cityhub!.setTime(t), time(a.setTime));
  } else if (a.open) {
    await page.fill('#search', a.open);
    await page.press('#search', 'Enter');
    await page.waitForFunction((id) => window.__cityhub!.panel().chart?.asset === id, a.open, { timeout: 10_000 });
  } else if (a.click) {
    await page.click(a.click);
  } else if (a.press) {
    await page.keyboard.press(a.press);
  } else if (a.view) {
    await page.click(`#tab-${a.view}`);
  } else if (a.period) {
    await page.selectOption('#period', a.period);
  } else if (a.range) {
    await page.click(`#panel .seg[data-key="${a.range}"]`);
  } else if (a.buildings) {
    // The layer box may be folded (over a short map): unfold it first, as a user would.
    if (await page.locator('#controls-body').isHidden()) await page.click('#controls-toggle');
    await page.check(`#buildings-${a.buildings}`);
  } else if (a.viewport) {
    await page.setViewportSize({ width: a.viewport[0], height: a.viewport[1] });
  } else if (a.hover) {
    const p = await isolatedPoint(page, a.hover);
    if (!p) throw new Error(`${a.hover} is not drawn alone anywhere in view`);
    await page.mouse.move(p.x, p.y);
    await page.locator('#tooltip').waitFor({ state: 'visible' });
  } else if (a.focus) {
    await page.focus(a.focus);
  } else if (a.applyLive) {
    const { asset, values } = a.applyLive;
    await page.evaluate(({ asset, values }) => window.__cityhub!.apply([{ asset, kind: 'traffic', device: 'test', ts: new Date().toISOString(), values }]), { asset, values });
  } else if (a.wait) {
    await page.waitForTimeout(a.wait);
  } else if (a.scrollEnd) {
    await page.locator(a.scrollEnd).first().evaluate((el) => el.scrollTo({ left: el.scrollWidth }));
  } else if (a.download) {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(a.download)]);
    const path = await download.path();
    state.download = readFileSync(path, 'utf8');
  }
}

async function check(page: Page, e: Expectation, ctx: RunContext, where: string, state: CaseState): Promise<void> {
  for (const [id, want] of Object.entries(e.state ?? {})) {
    const got = await stateOf(page, id);
    for (const [k, v] of Object.entries(want)) {
      if (typeof v === 'number') expect(got?.[k], `${where}: ${id}.${k}`).toBeCloseTo(v, 6);
      else expect(got?.[k], `${where}: ${id}.${k}`).toBe(v);
    }
  }
  for (const [id, hex] of Object.entries(e.colour ?? {})) {
    const px = await pixelsOf(page, id);
    const near = px.filter((p) => colourDistance(p, hex) < SAME_COLOUR).length;
    expect(near, `${where}: ${id} drawn in ${hex} (pixels: ${JSON.stringify(px.slice(0, 5))})`).toBeGreaterThanOrEqual(3);
  }
  if (e.panel) await checkPanel(page, e.panel, ctx, where);
  if (e.energy) await checkEnergy(page, e.energy, ctx, where);
  if (e.traffic) await checkTraffic(page, e.traffic, ctx, where);
  if (e.wifi) await checkWifi(page, e.wifi, where);
  if (e.url) {
    const url = (await page.evaluate(() => window.__cityhub!.urlState())) as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(e.url)) {
      if (k === 't' && typeof v === 'string') {
        // The slider snaps to its step (a minute at the finest speed).
        expect(Math.abs((url.t as number) - resolveTime(v, ctx.anchors)!), `${where}: URL state t`).toBeLessThanOrEqual(60_000);
      } else {
        expect(url[k], `${where}: URL state ${k}`).toEqual(v);
      }
      // And the address bar says the same (it is written within half a second).
      const [name, param] = addressParam(k, url[k] as Parameters<typeof addressParam>[1]);
      await page.waitForFunction(([n, p]) => new URLSearchParams(window.location.search).get(n) === p, [name, param] as const);
    }
  }
  for (const [sel, re] of Object.entries(e.text ?? {})) {
    expect(await page.locator(sel).first().textContent(), `${where}: text of ${sel}`).toMatch(new RegExp(re));
  }
  for (const [sel, props] of Object.entries(e.style ?? {})) {
    const got = await page.locator(sel).first().evaluate((el, names) => {
      const cs = getComputedStyle(el);
      return Object.fromEntries(names.map((n) => [n, cs.getPropertyValue(n)]));
    }, Object.keys(props));
    expect(got, `${where}: style of ${sel}`).toEqual(props);
  }
  for (const [sel, visible] of Object.entries(e.visible ?? {})) {
    expect(await page.locator(sel).first().isVisible(), `${where}: ${sel} visible`).toBe(visible);
  }
  if (e.targets) await checkTargets(page, e.targets, where);
  if (e.csv) checkCsv(await page.evaluate(() => window.__cityhub!.view().data) as EnergyData, state.download, where);
  if (e.clock) {
    const clock = await page.evaluate(() => window.__cityhub!.clock());
    if (e.clock.playing !== undefined) expect(clock.playing, `${where}: playing`).toBe(e.clock.playing);
    if (e.clock.live !== undefined) expect(clock.live, `${where}: live`).toBe(e.clock.live);
    if (e.clock.from) {
      const moved = clock.t - resolveTime(e.clock.from, ctx.anchors)!;
      if (e.clock.movedAtLeast) expect(moved, `${where}: the clock moved`).toBeGreaterThanOrEqual(durationMs(e.clock.movedAtLeast));
      if (e.clock.movedAtMost) expect(moved, `${where}: the clock moved`).toBeLessThanOrEqual(durationMs(e.clock.movedAtMost));
    }
  }
  if (e.layersStartWith) {
    const ids = await page.evaluate(() => window.__cityhub!.map.getStyle().layers.map((l) => l.id));
    expect(ids.slice(0, e.layersStartWith.length), `${where}: first layers`).toEqual(e.layersStartWith);
    expect(ids.slice(-2), `${where}: the city on top`).toEqual(['buildings', 'buildings-offline']);
  }
  if (e.pixel) {
    const box = await page.locator('#map').boundingBox();
    const px = await pixelsAround(page, box!.x + box!.width * e.pixel.at[0], box!.y + box!.height * e.pixel.at[1], 2);
    expect(px.every((p) => colourDistance(p, e.pixel!.colour) < 8), `${where}: map colour at ${e.pixel.at.join(',')}: ${JSON.stringify(px[0])}`).toBe(true);
  }
}

async function shoot(page: Page, c: TestCase, step: Step, ctx: RunContext): Promise<void> {
  // The tooltip follows the pointer; park it off the map unless the step is about hovering.
  if (!step.do?.hover) await page.mouse.move(2, 2);
  const path = join(ctx.shots, `${c.name}-${step.screenshot}.png`);
  await page.screenshot({ path });
  // The README's screenshots are refreshed on purpose only (UPDATE=1), never as a side effect of a test run.
  if (step.docs && process.env.UPDATE === '1') {
    const doc = join(ctx.docs, `${step.docs}.png`);
    await page.screenshot({ path: doc });
    expect(statSync(doc).size, `docs/screenshots/${step.docs}.png must stay under 300 KB`).toBeLessThan(MAX_DOC_BYTES);
  }
}
