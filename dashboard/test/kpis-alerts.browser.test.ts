/**
 * The KPI page and the alerts in a real Chromium on their own hub (`cityhub start`: real API, broker, DuckDB
 * and alert engine): the whole city publishes two days of readings over MQTT (energy fifteen), so every number
 * the KPI page shows can be recomputed here from exactly what was published (`kpi-oracle.ts`). Alerts come
 * from the hub's default rules, fired by real readings: a congested corridor before the page opens, a building
 * above its power limit while it is open, which then clears.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { AssetCollection, AssetFeature } from '@cityhub/contracts';
import { CLI, startHub, waitFor } from '../../test/harness.js';
import type { Credentials, TestHub } from '../../test/harness.js';
import type { AlertView } from '../src/model/alerts.js';
import { colourDistance, SEVERITY_COLOUR } from '../src/model/colour.js';
import type {} from '../src/page/test-hook.js';
import type { AlertsData } from '../src/views/alerts.js';
import type { KpiData } from '../src/views/kpis.js';
import { openBrowser, pixelsAround } from './browser.js';
import type { Browser } from './browser.js';
import { DASHBOARD, ensureBuilt } from './build.js';
import type { Payload } from './cases.js';
import { cityReadings } from './city.js';
import { KpiOracle } from './kpi-oracle.js';
import type { ExpectedKpi } from './kpi-oracle.js';
import { settled, stateOf } from './probe.js';
import { provisionAndPublish, waitStored } from './publish.js';
import type { AssetReadings } from './publish.js';

const SHOTS = join(DASHBOARD, '..', 'test-results', 'dashboard');
const DOCS = join(DASHBOARD, '..', 'docs', 'screenshots');
const MAX_DOC_BYTES = 300 * 1024;
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** A main corridor (Platia CHANTH – Monastiriou, 4.8 km) that crawls for the last half hour: a congestion alert. */
const CONGESTED_LINK = 'link-11';
/** A building that goes above its power limit during the alerts test, then back below it. */
const ALERT_BUILDING = 'building-rotunda';
/** A hotspot that was silent for three hours yesterday evening: availability below 100 %. */
const GAPPY_HOTSPOT = 'hotspot-white-tower';
const RING_HIT = 60;

/** How the page shows each KPI: digits, scale (a ratio as a percentage) and the unit after the number. */
const SHOWN: Record<string, { digits: number; scale: number; suffix: string }> = {
  congestion_index: { digits: 1, scale: 100, suffix: '%' },
  corridor_speed: { digits: 1, scale: 1, suffix: ' km/h' },
  wifi_client_hours: { digits: 0, scale: 1, suffix: ' client-h' },
  wifi_availability: { digits: 1, scale: 100, suffix: '%' },
  energy_per_m2: { digits: 3, scale: 1, suffix: ' kWh/m²' },
};

/** Two days of the city for traffic and Wi-Fi (the day before repeats the day), its fifteen days of energy. */
function history(f: AssetFeature, now: number): Payload[] {
  if (f.properties.kind === 'energy') return cityReadings(f, now);
  const seen = new Set<number>();
  return [...cityReadings(f, now - DAY), ...cityReadings(f, now)].filter((r) => !seen.has(r.ts) && seen.add(r.ts));
}

const renumber = (rs: Payload[]): Payload[] => rs.map((r, i) => ({ ...r, seq: i + 1 }));

/** A number the page shows, as a number (`4,812 client-h` → 4812), checking its unit and its decimals. */
function shownValue(text: string, id: string): number {
  const s = SHOWN[id]!;
  expect(text.endsWith(s.suffix), `${id}: "${text}" ends with "${s.suffix}"`).toBe(true);
  const num = text.slice(0, text.length - s.suffix.length);
  expect(num, `${id}: ${s.digits} decimals`).toMatch(new RegExp(`^-?\\d{1,3}(,\\d{3})*${s.digits ? `\\.\\d{${s.digits}}` : ''}$`));
  return Number(num.replace(/,/g, ''));
}

/** The shown text is the expected number at the page's rounding: within half a unit of its last digit. */
function expectShown(text: string, value: number | null, id: string, what: string): void {
  if (value === null) {
    expect(text, `${id} ${what}`).toBe('no data');
    return;
  }
  const s = SHOWN[id]!;
  expect(Math.abs(shownValue(text, id) - value * s.scale), `${id} ${what}: "${text}" vs ${value * s.scale}`).toBeLessThanOrEqual(0.5 * 10 ** -s.digits + 1e-9);
}

/** A moment as Thessaloniki's clocks show it, the way the page writes times (`Sun 8 Nov, 08:00`). */
const LOCAL = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Athens', weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

const close = (a: number | null, b: number | null) => (a === null || b === null ? a === b : Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)));

/** What the KPI table shows, row by row. */
type KpiRows = Record<string, { value: string; target: string; status: string; change: string; against: string }>;
async function kpiRows(page: Page): Promise<KpiRows> {
  return page.locator('#drawer .kpi-table tbody tr').evaluateAll((trs) => Object.fromEntries<KpiRows[string]>(trs.map((tr) => {
    const q = (sel: string) => tr.querySelector(sel)?.textContent ?? '';
    return [(tr as HTMLElement).dataset.id ?? '', { value: q('.kpi-value'), target: q('.kpi-target'), status: q('.kpi-status'), change: q('.kpi-change'), against: q('.kpi-against') }];
  })));
}

async function kpiData(page: Page, span: number): Promise<KpiData> {
  await page.waitForFunction((span) => {
    const v = window.__cityhub!.view();
    const d = v.data as KpiData | null;
    return v.view === 'kpis' && d?.state === 'ready' && d.to - d.from === span;
  }, span, { timeout: 15_000 });
  return (await page.evaluate(() => window.__cityhub!.view().data)) as KpiData;
}

/** The KPI page equals the oracle: the API's numbers, and the page's text at its rounding. */
async function checkKpis(page: Page, oracle: KpiOracle, span: number): Promise<KpiData> {
  const d = await kpiData(page, span);
  const want = oracle.expected(d.from, d.to);
  expect(d.items.map((k) => k.id)).toEqual(Object.keys(SHOWN));
  const rows = await kpiRows(page);
  for (const k of d.items) {
    const x: ExpectedKpi = want[k.id]!;
    const where = `${k.id} over ${(d.to - d.from) / HOUR} h`;
    expect(close(k.value, x.value), `${where}: value ${k.value} = ${x.value} (recomputed)`).toBe(true);
    expect(close(k.previous, x.previous), `${where}: previous ${k.previous} = ${x.previous}`).toBe(true);
    const row = rows[k.id]!;
    expectShown(row.value, x.value, k.id, 'value');
    if (x.target === null) expect(row.target, `${where}: target`).toBe('none yet');
    else {
      expect(row.target.slice(0, 2), `${where}: target direction`).toBe(k.direction === 'below' ? '≤ ' : '≥ ');
      expectShown(row.target.slice(2), x.target, k.id, 'target');
    }
    const status = x.value === null ? 'No data' : x.met === null ? 'No target yet' : x.met ? '✓ Met' : '✗ Not met';
    expect(row.status, `${where}: status`).toBe(status);
    if (x.value === null || x.previous === null || x.previous === 0) expect(row.change, `${where}: no trend`).toBe('–');
    else {
      const change = (x.value - x.previous) / Math.abs(x.previous);
      // Under 0.05 % the page shows no change rather than "▲ +0.0% worse".
      const flat = Math.abs(change) < 0.0005;
      expect(row.change.slice(0, 1), `${where}: arrow in "${row.change}" for ${change}`).toBe(flat ? '▶' : change > 0 ? '▲' : '▼');
      const pct = Number(/([+-]?[\d.]+)%/.exec(row.change)?.[1]);
      expect(Math.abs(pct - change * 100), `${where}: change "${row.change}" vs ${change * 100}`).toBeLessThanOrEqual(0.05 + 1e-9);
      const better = (change > 0) === (k.direction === 'above');
      if (!flat) expect(row.change, `${where}: verdict`).toMatch(better ? /better$/ : /worse$/);
    }
    // The API's wording, with the moment it may name in Thessaloniki time.
    const wording = x.comparedWith.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/, (iso) => LOCAL.format(Date.parse(iso)));
    if (x.previous === null && !wording.startsWith('the ')) expect(row.against, `${where}: nothing to compare with`).toBe(wording.replace(/^n/, 'N'));
    else {
      expect(row.against.startsWith(`vs ${wording}: `), `${where}: "${row.against}" compares with ${wording}`).toBe(true);
      expectShown(row.against.replace(/^.*: /, ''), x.previous, k.id, 'previous');
    }
  }
  return d;
}

async function shoot(page: Page, name: string, docs?: string): Promise<void> {
  await page.mouse.move(2, 2);
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
  // As the render cases do: the README's screenshots are refreshed on purpose only.
  if (docs && process.env.UPDATE === '1') {
    const doc = join(DOCS, `${docs}.png`);
    await page.screenshot({ path: doc });
    expect(statSync(doc).size, `docs/screenshots/${docs}.png must stay under 300 KB`).toBeLessThan(MAX_DOC_BYTES);
  }
}

/** Share of the pixels between `rIn` and `rOut` from a page point that are drawn in `hex`. */
async function ringShare(page: Page, x: number, y: number, rIn: number, rOut: number, hex: string): Promise<number> {
  const r = rOut + 1;
  const size = 2 * r + 1;
  const px = await pixelsAround(page, x, y, r);
  let n = 0, hit = 0;
  px.forEach((p, i) => {
    const d = Math.hypot((i % size) - r, Math.floor(i / size) - r);
    if (d < rIn || d > rOut) return;
    n++;
    if (colourDistance(p, hex) < RING_HIT) hit++;
  });
  return hit / n;
}

/** Where an asset's point is on the page now. */
async function pointOf(page: Page, coords: [number, number]): Promise<{ x: number; y: number }> {
  return page.evaluate((c) => {
    const { map } = window.__cityhub!;
    const box = map.getContainer().getBoundingClientRect();
    const p = map.project(c);
    return { x: box.left + p.x, y: box.top + p.y };
  }, coords);
}

const renderedAlerts = (page: Page, layer: string) =>
  page.evaluate((layer) => window.__cityhub!.map.queryRenderedFeatures({ layers: [layer] })
    .map((f) => ({ asset: String(f.properties.asset), severity: String(f.properties.severity) })), layer);

describe('the KPI page and the alerts in Chromium on the real hub', () => {
  let hub: TestHub;
  let browser: Browser;
  let catalogue: AssetCollection;
  let oracle: KpiOracle;
  let devices: Map<string, Credentials>;
  let published: AssetReadings[];
  let now: number;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    mkdirSync(DOCS, { recursive: true });
    await ensureBuilt();
    [hub, browser] = await Promise.all([startHub({ simulate: 0 }), openBrowser()]);
    catalogue = (await hub.get<AssetCollection>('/api/v1/assets')).body;
    now = Date.now();
    published = catalogue.features.map((f) => {
      let readings = history(f, now);
      if (f.id === CONGESTED_LINK) {
        // Crawling at a fifth of free-flow speed for the last half hour, every five minutes.
        const ff = (f.properties as { free_flow_kmh: number }).free_flow_kmh;
        const slow = Array.from({ length: 7 }, (_, i) => ({ ts: now - 30 * MIN + i * 5 * MIN, seq: 0, speed_kmh: ff * 0.2, flow_veh_h: 1800 }));
        readings = [...readings.filter((r) => r.ts < now - 30 * MIN), ...slow];
      }
      if (f.id === ALERT_BUILDING) readings = readings.filter((r) => r.ts < now - 30 * MIN);
      if (f.id === GAPPY_HOTSPOT) readings = readings.filter((r) => r.ts < now - 10 * HOUR || r.ts >= now - 7 * HOUR);
      return { asset: f.id, kind: f.properties.kind, readings: renumber(readings) };
    });
    const t0 = performance.now();
    devices = await provisionAndPublish(hub, published);
    await waitStored(hub, published);
    oracle = new KpiOracle(published, catalogue);
    console.log(`[kpis-alerts] ${published.length} devices, ${published.reduce((a, i) => a + i.readings.length, 0)} readings published and stored in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
  });

  it('shows every KPI as recomputed from the published readings, over 24 h and 7 days, reached from the view tabs', async () => {
    const { page } = browser;
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const t0 = performance.now();
    await page.goto(`${hub.httpUrl}/?period=24h`);
    await page.waitForFunction(() => window.__cityhub !== undefined);
    await page.evaluate(() => window.__cityhub!.ready);
    // From the keyboard: the tab after Wi-Fi, and the URL can link to it.
    await page.focus('#tab-wifi');
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('tab-kpis');
    await settled(page);
    const day = await checkKpis(page, oracle, DAY);
    console.log(`[kpis-alerts] KPI page: navigation → KPIs shown ${(performance.now() - t0).toFixed(0)} ms`);
    expect(day.to).toBeGreaterThanOrEqual(now);
    expect(day.to - now).toBeLessThanOrEqual(HOUR + 5 * MIN);
    await page.waitForFunction(() => new URLSearchParams(window.location.search).get('view') === 'kpis' && window.location.search.includes('period=24h'));
    expect(await page.locator('#drawer h2').textContent()).toBe('Key performance indicators');
    await expect(page.getByRole('table', { name: 'The city against its targets' }).isVisible()).resolves.toBe(true);
    expect(await page.locator('#drawer .kpi-table thead th[scope="col"]').count()).toBe(5);
    expect(await page.locator('#drawer .kpi-table tbody th[scope="row"]').count()).toBe(5);
    // The status is in words; its colour only repeats them.
    const met = page.locator('#drawer .kpi-met').first();
    if (await met.count()) expect(await met.evaluate((e) => getComputedStyle(e).color)).toBe('rgb(30, 107, 63)');
    await shoot(page, 'kpis-24h', 'kpis');

    await page.selectOption('#period', '7d');
    await settled(page);
    const week = await checkKpis(page, oracle, 7 * DAY);
    // Traffic and Wi-Fi have no week before; energy compares with its first recorded week.
    expect(week.items.find((k) => k.id === 'corridor_speed')?.previous).toBeNull();
    expect(week.items.find((k) => k.id === 'energy_per_m2')?.compared_with).toMatch(/^the first recorded period/);
    await shoot(page, 'kpis-7d');
    expect(errors).toEqual([]);
  });

  it('says "no data" for a period without readings, and recovers from a failed request', async () => {
    const { page } = browser;
    const past = now - 20 * DAY;
    await page.evaluate((t) => window.__cityhub!.setTime(t), past);
    await page.selectOption('#period', '24h');
    await settled(page);
    const d = await checkKpis(page, oracle, DAY);
    expect(d.to).toBeGreaterThan(past);
    expect(d.items.every((k) => k.value === null)).toBe(true);
    const rows = await kpiRows(page);
    for (const [id, r] of Object.entries(rows)) {
      expect(r.value, id).toBe('no data');
      expect(r.status, id).toBe('No data');
    }
    await shoot(page, 'kpis-no-data');

    // The hub fails: the page says so and offers to try again.
    const kpis = (u: URL) => u.pathname === '/api/v1/kpis';
    await page.route(kpis, (r) => r.fulfill({ status: 503, json: { error: { code: 'UNAVAILABLE', message: 'the store is not answering' } } }));
    await page.selectOption('#period', '7d');
    await page.waitForFunction(() => (window.__cityhub!.view().data as KpiData | null)?.state === 'error');
    expect(await page.locator('#drawer .view-kpis .status-line').textContent()).toMatch(/^Could not load the KPIs: .*503: the store is not answering/);
    expect(await page.locator('#drawer .kpi-table tbody tr').count()).toBe(0);
    await page.unroute(kpis);
    await page.getByRole('button', { name: 'Try again' }).click();
    await checkKpis(page, oracle, 7 * DAY);
    await page.evaluate(() => window.__cityhub!.setTime(null));
  });

  it('lists alerts and rings them on the map, live: a building above its limit opens one, and below it clears', async () => {
    const { page } = browser;
    await page.goto(`${hub.httpUrl}/?view=alerts&period=24h`);
    await page.waitForFunction(() => window.__cityhub !== undefined);
    await page.evaluate(() => window.__cityhub!.ready);
    await settled(page);
    const alertsData = async () => (await page.evaluate(() => window.__cityhub!.view().data)) as AlertsData;
    await page.waitForFunction(() => (window.__cityhub!.view().data as AlertsData | null)?.state === 'ready');

    // Opened before the page loaded, from the list: the congested corridor, a warning, with a halo.
    const congestion = (await alertsData()).rows.find((a) => a.rule === 'congestion' && a.asset === CONGESTED_LINK && a.status !== 'cleared');
    expect(congestion, 'the congestion alert on the crawling corridor').toBeDefined();
    const linkName = catalogue.features.find((f) => f.id === CONGESTED_LINK)!.properties.name;
    const linkRow = page.locator(`#drawer tr[data-id="${congestion!.id}"]`);
    expect(await linkRow.textContent()).toContain(linkName);
    expect(await linkRow.locator('.severity').textContent()).toBe('Warning');
    expect(await linkRow.locator('.alert-rule').textContent()).toMatch(/^Congestion: speed below 40 % of free-flow for 5 minutes/);
    expect(await linkRow.locator('.alert-state').textContent()).toBe('Open');
    expect(await renderedAlerts(page, 'alerts-lines')).toContainEqual({ asset: CONGESTED_LINK, severity: 'warning' });
    const openBefore = await page.evaluate(() => window.__cityhub!.alerts().filter((a) => a.status !== 'cleared').length);
    expect(await page.locator('#tab-alerts').getAttribute('data-count')).toBe(String(openBefore));

    // Live: five minutes of readings above the limit open a critical alert while the page is open.
    const building = catalogue.features.find((f) => f.id === ALERT_BUILDING)!;
    const limit = (building.properties as { power_limit_kw: number }).power_limit_kw;
    const device = devices.get(ALERT_BUILDING)!;
    let seq = published.find((p) => p.asset === ALERT_BUILDING)!.readings.length;
    const t0 = now - 20 * MIN;
    const sent = performance.now();
    await hub.publish(device, [0, 2.5, 5].map((m) => ({ ts: t0 + m * MIN, seq: ++seq, power_kw: Math.round(limit * 1.3) })));
    await page.waitForFunction((id) => window.__cityhub!.alerts().some((a) => a.asset === id && a.rule === 'building-power' && a.status === 'open'), ALERT_BUILDING, { timeout: 10_000 });
    console.log(`[kpis-alerts] PUBACK → alert in the page's list: ${(performance.now() - sent).toFixed(0)} ms`);
    await settled(page);
    const opened = (await alertsData()).rows.find((a) => a.asset === ALERT_BUILDING && a.rule === 'building-power')!;
    expect(opened).toMatchObject({ severity: 'critical', status: 'open', opened_at: new Date(t0 + 5 * MIN).toISOString() });
    // Active and critical: first in the list.
    expect((await alertsData()).rows[0]?.id).toBe(opened.id);
    const row = page.locator(`#drawer tr[data-id="${opened.id}"]`);
    expect(await row.locator('.severity').textContent()).toBe('Critical');
    expect(await row.locator('.alert-rule').textContent()).toMatch(/^Building power above its limit for 5 minutes/);
    expect(await row.locator('th').textContent()).toBe(building.properties.name);
    expect(await row.locator('td').nth(2).textContent()).toBe(LOCAL.format(t0 + 5 * MIN));
    expect(await row.locator('.alert-state').textContent()).toBe('Open');
    expect(await renderedAlerts(page, 'alerts-points')).toContainEqual({ asset: ALERT_BUILDING, severity: 'critical' });
    expect(await page.locator('#tab-alerts').getAttribute('data-count')).toBe(String(openBefore + 1));
    await shoot(page, 'alerts-open', 'alerts');

    // A click on the row selects the building on the map and opens its panel.
    await row.locator('.alert-state').click();
    await page.waitForFunction((id) => window.__cityhub!.panel().asset === id, ALERT_BUILDING);
    expect((await stateOf(page, ALERT_BUILDING))?.selected).toBe(true);
    const panelAlerts = await page.locator('#panel .panel-alerts').innerText();
    expect(panelAlerts).toMatch(/^Open alerts\n/);
    expect(panelAlerts).toContain(`critical: Building power above its limit for 5 minutes, since ${LOCAL.format(t0 + 5 * MIN)}`);
    await page.waitForFunction((id) => new URLSearchParams(window.location.search).get('asset') === id, ALERT_BUILDING);
    // Close up, the ring around the building is in the critical colour.
    const coords = building.geometry.coordinates as [number, number];
    await page.evaluate((c) => window.__cityhub!.map.jumpTo({ center: c, zoom: 16 }), coords);
    await page.evaluate(() => window.__cityhub!.apply([]));
    await page.mouse.move(2, 2);
    const at = await pointOf(page, coords);
    const ring = await ringShare(page, at.x, at.y, 15, 17, SEVERITY_COLOUR.critical);
    expect(ring, 'share of the ring drawn in the critical colour').toBeGreaterThan(0.5);
    await shoot(page, 'alerts-ring');

    // An operator acknowledges the congestion alert (with a token the dashboard never holds): the list says who.
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'tokens', 'add', '--role', 'operator', '--name', 'dashboard-test', '--json'],
      { env: { ...process.env, CITYHUB_DATA_DIR: hub.dataDir } });
    const token = JSON.parse(stdout) as { id: string; token: string };
    const ack = await fetch(`${hub.httpUrl}/api/v1/alerts/${encodeURIComponent(congestion!.id)}/ack`, { method: 'POST', headers: { authorization: `Bearer ${token.token}` } });
    expect(ack.status).toBe(200);
    await waitFor(async () => ((await linkRow.locator('.alert-state').textContent()) === `Acknowledged by ${token.id}` ? true : undefined), 10_000, 'the acknowledgement in the list');

    // Below 90 % of the limit: cleared, live; the ring goes.
    const cleared = performance.now();
    await hub.publish(device, { ts: t0 + 6 * MIN, seq: ++seq, power_kw: Math.round(limit * 0.5) });
    await page.waitForFunction((id) => window.__cityhub!.alerts().find((a) => a.id === id)?.status === 'cleared', opened.id, { timeout: 10_000 });
    console.log(`[kpis-alerts] PUBACK → alert cleared on the page: ${(performance.now() - cleared).toFixed(0)} ms`);
    await settled(page);
    expect(await row.locator('.alert-state').textContent()).toBe(`Cleared ${LOCAL.format(t0 + 6 * MIN)}`);
    expect(await row.getAttribute('class')).toContain('alert-past');
    expect(await page.locator('#panel .panel-alerts').isVisible()).toBe(false);
    expect(await renderedAlerts(page, 'alerts-points')).not.toContainEqual({ asset: ALERT_BUILDING, severity: 'critical' });
    expect(await page.locator('#tab-alerts').getAttribute('data-count')).toBe(String(openBefore));
    await page.mouse.move(2, 2);
    const after = await pointOf(page, coords);
    expect(await ringShare(page, after.x, after.y, 15, 17, SEVERITY_COLOUR.critical), 'no critical ring once cleared').toBeLessThan(0.02);
    await page.evaluate((c) => window.__cityhub!.map.jumpTo({ center: c, zoom: 12.5 }), coords);
    await page.evaluate(() => window.__cityhub!.apply([]));
    await shoot(page, 'alerts-cleared');
    const all: AlertView[] = await page.evaluate(() => window.__cityhub!.alerts());
    expect(all.find((a) => a.id === congestion!.id)?.acknowledged_by).toBe(token.id);
  });
});
