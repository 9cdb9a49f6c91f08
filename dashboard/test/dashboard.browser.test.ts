/**
 * The dashboard in a real Chromium against the real hub: `cityhub start` (real API, MQTT broker and DuckDB
 * store, no simulator), a device provisioned with `cityhub devices add`, readings published with mqtt.js.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SeriesResponse } from '@cityhub/contracts';
import { startHub, waitFor } from '../../test/harness.js';
import type { TestHub } from '../../test/harness.js';
import { colourDistance, NO_DATA_COLOUR, rampColour, SPEED_RAMP } from '../src/colour.js';
import type {} from '../src/testhook.js';
import { openBrowser, pixelsAround } from './browser.js';
import type { Browser } from './browser.js';

const DASHBOARD = join(dirname(fileURLToPath(import.meta.url)), '..');
const SHOTS = join(DASHBOARD, '..', 'test-results', 'dashboard');
const LINKS = 178;
/** RGB distance under which a pixel "is" a colour (antialiasing and blending stay well under it). */
const SAME_COLOUR = 40;

function newest(path: string): number {
  const s = statSync(path, { throwIfNoEntry: false });
  if (!s) return 0;
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((n) => newest(join(path, n))));
}

/** Builds the dashboard when its sources are newer than dist/ (`npm test` has usually done it already). */
async function ensureBuilt(): Promise<void> {
  const built = statSync(join(DASHBOARD, 'dist', 'index.html'), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const inputs = Math.max(newest(join(DASHBOARD, 'src')), newest(join(DASHBOARD, 'index.html')), newest(join(DASHBOARD, 'vite.config.ts')),
    newest(join(DASHBOARD, '..', 'contracts', 'src')));
  if (built >= inputs) return;
  const vite = join(DASHBOARD, '..', 'node_modules', '.bin', 'vite');
  await promisify(execFile)(vite, ['build', '--logLevel', 'warn'], { cwd: DASHBOARD });
}

describe('dashboard in Chromium on the real hub', () => {
  let hub: TestHub;
  let browser: Browser;
  /** A link and a page point on it where no other link is drawn, so its pixels are its own. */
  let target: { id: string; name: string; x: number; y: number };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    await ensureBuilt();
    expect(existsSync(join(DASHBOARD, 'dist', 'index.html'))).toBe(true);
    hub = await startHub({ simulate: 0 });
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
  });

  it('renders every road link of the city', async () => {
    const { page } = browser;
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // MapLibre reports style and source problems as console errors, not exceptions.
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    const offsite: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(hub.httpUrl) && !/^(data|blob):/.test(r.url())) offsite.push(r.url());
    });

    const t0 = performance.now();
    await page.goto(hub.httpUrl + '/');
    await page.waitForFunction(() => window.__cityhub !== undefined);
    await page.evaluate(() => window.__cityhub!.ready);
    const wall = performance.now() - t0;
    const timings = await page.evaluate(() => window.__cityhub!.timings);
    console.log(`[dashboard] after navigation: catalogue fetched ${timings.data?.toFixed(0)} ms, first full render (map load) ` +
      `${timings.load?.toFixed(0)} ms, ready (latest applied, idle) ${timings.ready?.toFixed(0)} ms; goto→ready seen by the test ${wall.toFixed(0)} ms`);

    const ids = await page.evaluate(() => [...new Set(window.__cityhub!.map.queryRenderedFeatures({ layers: ['links'] }).map((f) => String(f.id)))]);
    expect(ids.length).toBeGreaterThanOrEqual(100);
    expect(ids.length).toBeLessThanOrEqual(LINKS);
    expect(ids.every((id) => /^link-\d+$/.test(id))).toBe(true);
    // With the simulator off nothing has reported yet: every link is drawn grey.
    expect(await page.evaluate((id) => window.__cityhub!.stateOf(id), ids[0]!)).toEqual({});
    await page.waitForFunction(() => document.getElementById('status')?.dataset.status === 'open');
    expect(await page.locator('#attribution').textContent()).toMatch(/CERTH-HIT/);
    expect(errors).toEqual([]);
    expect(offsite).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'city.png') });

    // A point on some link where, within the click slop, no other link is drawn and no control covers the map.
    const found = await page.evaluate(() => {
      const { map } = window.__cityhub!;
      const box = map.getContainer().getBoundingClientRect();
      const covered = [...document.querySelectorAll('.controls, .maplibregl-ctrl')].map((e) => e.getBoundingClientRect());
      const features = map.queryRenderedFeatures({ layers: ['links'] });
      const seen = new Set<string>();
      for (const f of features) {
        const id = String(f.id);
        const geometry = f.geometry as { type: string; coordinates: unknown };
        if (seen.has(id) || geometry.type !== 'LineString') continue;
        seen.add(id);
        const c = geometry.coordinates as [number, number][];
        for (let i = 1; i < c.length; i++) {
          const p = map.project([(c[i - 1]![0] + c[i]![0]) / 2, (c[i - 1]![1] + c[i]![1]) / 2]);
          const x = box.left + p.x, y = box.top + p.y;
          if (p.x < 20 || p.y < 20 || p.x > box.width - 20 || p.y > box.height - 20) continue;
          if (covered.some((r) => x > r.left - 10 && x < r.right + 10 && y > r.top - 10 && y < r.bottom + 10)) continue;
          const hits = map.queryRenderedFeatures([[p.x - 6, p.y - 6], [p.x + 6, p.y + 6]], { layers: ['links', 'hotspots', 'buildings'] });
          if (hits.length > 0 && hits.every((h) => String(h.id) === id)) {
            return { id, name: String(f.properties.name), x, y };
          }
        }
      }
      return null;
    });
    expect(found).not.toBeNull();
    target = found!;
    const before = await pixelsAround(page, target.x, target.y, 3);
    expect(before.some((px) => colourDistance(px, NO_DATA_COLOUR) < SAME_COLOUR)).toBe(true);
  });

  it('recolours a link when its device publishes a slow reading over MQTT', async () => {
    const { page } = browser;
    const slow = rampColour(SPEED_RAMP, 5 / 50);
    const freeFlow = await page.evaluate((id) => {
      const f = window.__cityhub!.map.querySourceFeatures('links').find((x) => x.properties.id === id);
      return Number(f?.properties.free_flow_kmh);
    }, target.id);
    const expected = rampColour(SPEED_RAMP, 5 / freeFlow);
    expect(colourDistance(expected, NO_DATA_COLOUR)).toBeGreaterThan(SAME_COLOUR * 2);
    expect((await pixelsAround(page, target.x, target.y, 3)).some((px) => colourDistance(px, expected) < SAME_COLOUR)).toBe(false);

    const device = await hub.provision('traffic', target.id);
    const now = Date.now();
    // Half an hour of history, one reading every 3 minutes, slowing down to 5 km/h now.
    const history = Array.from({ length: 10 }, (_, i) => ({ ts: now - (10 - i) * 180_000, seq: i + 1, speed_kmh: 45 - i * 3, flow_veh_h: 900 }));
    await hub.publish(device, history);
    const t0 = performance.now();
    await hub.publish(device, { ts: now, seq: 11, speed_kmh: 5, flow_veh_h: 1500 });
    await page.waitForFunction((id) => window.__cityhub!.stateOf(id)?.speed_kmh === 5, target.id, { timeout: 10_000 });
    console.log(`[dashboard] PUBACK → feature-state on the page: ${(performance.now() - t0).toFixed(0)} ms`);

    const state = await page.evaluate((id) => window.__cityhub!.stateOf(id), target.id);
    expect(state).toMatchObject({ speed_kmh: 5, flow_veh_h: 1500, ts: now });
    expect(state?.ratio).toBeCloseTo(5 / freeFlow, 6);
    await page.evaluate(() => window.__cityhub!.apply([]));
    const rendered = await page.evaluate(({ id, x, y }) => {
      const { map } = window.__cityhub!;
      const box = map.getContainer().getBoundingClientRect();
      const px = x - box.left, py = y - box.top;
      return map.queryRenderedFeatures([[px - 6, py - 6], [px + 6, py + 6]], { layers: ['links'] })
        .filter((f) => String(f.id) === id).map((f) => f.state as Record<string, unknown>);
    }, target);
    expect(rendered.length).toBeGreaterThan(0);
    expect(rendered[0]).toMatchObject({ speed_kmh: 5 });

    const after = await pixelsAround(page, target.x, target.y, 3);
    expect(after.filter((px) => colourDistance(px, expected) < SAME_COLOUR).length).toBeGreaterThanOrEqual(3);
    expect(after.some((px) => colourDistance(px, NO_DATA_COLOUR) < 12)).toBe(false);
    expect(colourDistance(slow, expected)).toBeLessThan(SAME_COLOUR * 2);
    await page.screenshot({ path: join(SHOTS, 'slow-link.png') });

    // The hover tooltip says what the link is doing.
    await page.mouse.move(target.x, target.y);
    const tooltip = page.locator('#tooltip');
    await tooltip.waitFor({ state: 'visible' });
    expect(await tooltip.textContent()).toContain(target.name);
    expect(await tooltip.textContent()).toMatch(/Speed5 km\/h.*Free-flow speed/);
    await page.screenshot({ path: join(SHOTS, 'tooltip.png') });
  });

  it('opens the link\'s panel with a chart of what /series returns', async () => {
    const { page } = browser;
    // The reading reached the page live; wait until the store has it too, then click.
    await waitFor(async () => {
      const to = new Date(Date.now() + 1000).toISOString();
      const from = new Date(Date.now() - 3_600_000).toISOString();
      const r = await hub.get<SeriesResponse>(`/api/v1/series?asset=${target.id}&metric=speed_kmh&from=${from}&to=${to}&step=60s&agg=mean`);
      return r.body.series[0]?.points.some(([, v]) => v === 5) ? true : undefined;
    }, 10_000, 'the reading in /series');
    await page.mouse.click(target.x, target.y);
    await page.waitForFunction((id) => window.__cityhub!.panel().chart?.asset === id, target.id, { timeout: 10_000 });
    const shown = (await page.evaluate(() => window.__cityhub!.panel().chart))!;
    expect(shown.metric).toBe('speed_kmh');
    const url = new URL(shown.url);
    expect(url.pathname).toBe('/api/v1/series');
    expect(Object.fromEntries([...url.searchParams].filter(([k]) => k !== 'from' && k !== 'to')))
      .toEqual({ asset: target.id, metric: 'speed_kmh', step: '60s', agg: 'mean' });
    expect(Date.parse(url.searchParams.get('to')!) - Date.parse(url.searchParams.get('from')!)).toBe(3_600_000);

    const api = (await (await fetch(shown.url)).json()) as SeriesResponse;
    const points = api.series.find((s) => s.asset === target.id)?.points ?? [];
    const [xs, ys] = shown.data;
    const drawn = xs.map((x, i) => [x, ys[i]] as const).filter(([, y]) => y !== null);
    expect(drawn).toEqual(points.map(([ts, v]) => [Date.parse(ts) / 1000, v]));
    expect(drawn.length).toBeGreaterThanOrEqual(8);
    expect(drawn[drawn.length - 1]?.[1]).toBe(5);

    const panel = page.locator('#panel');
    expect(await panel.isVisible()).toBe(true);
    expect(await panel.locator('h2').textContent()).toBe(target.name);
    expect(await panel.textContent()).toMatch(/Free-flow speed/);
    expect(await panel.locator('.uplot canvas').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, 'panel.png') });

    await page.keyboard.press('Escape');
    expect(await panel.isVisible()).toBe(false);
  });

  it('recolours all links at once, and toggles layers from the keyboard', async () => {
    const { page } = browser;
    const ms = await page.evaluate(async () => {
      const hook = window.__cityhub!;
      const ids = hook.map.querySourceFeatures('links').map((f) => String(f.properties.id));
      const unique = [...new Set(ids)];
      const ts = new Date().toISOString();
      const readings = unique.map((asset, i) => ({ asset, kind: 'traffic' as const, device: 'browser-test', ts, values: { speed_kmh: (i * 7) % 90 } }));
      const t0 = performance.now();
      await hook.apply(readings);
      return { ms: performance.now() - t0, n: unique.length };
    });
    console.log(`[dashboard] recolour all ${ms.n} links by feature-state, to idle: ${ms.ms.toFixed(0)} ms`);
    expect(ms.n).toBe(LINKS);
    const coloured = await page.evaluate(() => window.__cityhub!.map.queryRenderedFeatures({ layers: ['links'] })
      .filter((f) => typeof (f.state as { ratio?: unknown }).ratio === 'number').length);
    expect(coloured).toBeGreaterThan(100);
    await page.screenshot({ path: join(SHOTS, 'all-links.png') });

    await page.focus('#layer-roads');
    await page.keyboard.press('Space');
    expect(await page.evaluate(() => window.__cityhub!.map.getLayoutProperty('links', 'visibility'))).toBe('none');
    await page.evaluate(() => window.__cityhub!.apply([]));
    expect(await page.evaluate(() => window.__cityhub!.map.queryRenderedFeatures({ layers: ['links'] }).length)).toBe(0);
    await page.keyboard.press('Space');
    expect(await page.evaluate(() => window.__cityhub!.map.getLayoutProperty('links', 'visibility'))).toBe('visible');
  });
});
