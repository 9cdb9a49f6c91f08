/**
 * The KPI page and the alerts in a real Chromium on their own hub (`cityhub start`: real API, broker, DuckDB
 * and alert engine): the whole city publishes two days of readings over MQTT (energy fifteen), so every number
 * the KPI page shows can be recomputed here from exactly what was published (`kpi-oracle.ts`). Alerts come
 * from the fixed rules (FIXED_RULES, put on the hub before the readings), fired by real readings: a congested
 * corridor before the page opens, a building above its power limit while it is open, which then clears. (The
 * built-in congestion rule compares with the usual speed, which two days of history do not give yet.)
 */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { FIXED_RULES, type AssetCollection, type AssetFeature } from '@cityhub/contracts';
import { CLI, startHub, waitFor } from '../../test/harness.js';
import type { Credentials, TestHub } from '../../test/harness.js';
import type { AlertView } from '../src/model/alerts.js';
import { SEVERITY_COLOUR } from '../src/model/colour.js';
import type {} from '../src/page/test-hook.js';
import type { AlertsData } from '../src/views/alerts.js';
import type { KpiData } from '../src/views/kpis.js';
import { openBrowser } from './browser.js';
import type { Browser } from './browser.js';
import { ensureBuilt } from './build.js';
import type { Payload } from './cases.js';
import { cityReadings } from './city.js';
import { KpiOracle } from './kpi-oracle.js';
import type { ExpectedKpi } from './kpi-oracle.js';
import { pointOf, renderedAlerts, ringShare, settled, stateOf } from './probe.js';
import { provisionAndPublish, waitStored } from './publish.js';
import type { AssetReadings } from './publish.js';
import { DOCS, SHOTS, shoot } from './shots.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** A main corridor (Platia CHANTH – Monastiriou, 4.8 km) that crawls for the last half hour: a congestion alert. */
const CONGESTED_LINK = 'link-11';
/** A building that goes above its power limit during the alerts test, then back below it. */
const ALERT_BUILDING = 'building-rotunda';
/** A hotspot that was silent for three hours yesterday evening: availability below 100 %. */
const GAPPY_HOTSPOT = 'hotspot-white-tower';

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
type KpiLocators = Record<string, { value: string; target: string; status: string; change: string; against: string }>;
async function kpiLocators(page: Page): Promise<KpiLocators> {
  return page.locator('#drawer .kpi-table tbody tr').evaluateAll((trs) => Object.fromEntries<KpiLocators[string]>(trs.map((tr) => {
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
  const rows = await kpiLocators(page);
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

/** Puts today's fixed rules on the hub (with an admin token made by the CLI). */
async function putFixedRules(hub: TestHub): Promise<void> {
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'tokens', 'add', '--role', 'admin', '--name', 'rules', '--json'],
    { env: { ...process.env, CITYHUB_DATA_DIR: hub.dataDir } });
  const { token } = JSON.parse(stdout) as { token: string };
  const put = await fetch(`${hub.httpUrl}/api/v1/rules`, {
    method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ rules: FIXED_RULES }),
  });
  expect(put.status).toBe(200);
}

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
    await putFixedRules(hub);
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
    // The period ends at the last complete hour: never after now, so no target is missed on time still to come.
    expect(day.to).toBeLessThanOrEqual(Date.now());
    expect(Date.now() - day.to).toBeLessThan(HOUR + 5 * MIN);
    expect(day.to % HOUR).toBe(0);
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
    // The slider stops at the oldest reading the hub holds: the page's time is \`past\` or that, whichever is later.
    const shown = (await page.evaluate(() => window.__cityhub!.clock())).t;
    expect(shown).toBeGreaterThanOrEqual(past);
    expect(d.to).toBeLessThanOrEqual(shown);
    expect(shown - d.to).toBeLessThan(HOUR);
    expect(d.items.every((k) => k.value === null)).toBe(true);
    const rows = await kpiLocators(page);
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

  const building = () => catalogue.features.find((f) => f.id === ALERT_BUILDING)!;
  const limit = () => (building().properties as { power_limit_kw: number }).power_limit_kw;
  const alertsData = async (page: Page) => (await page.evaluate(() => window.__cityhub!.view().data)) as AlertsData;

  /** Opened before the page loaded, from the list: the congested corridor, a warning, with a halo. */
  async function listedCongestion(page: Page): Promise<{ congestion: AlertView; linkLocator: Locator; openBefore: number }> {
    const congestion = (await alertsData(page)).rows.find((a) => a.rule === 'congestion' && a.asset === CONGESTED_LINK && a.status !== 'cleared');
    expect(congestion, 'the congestion alert on the crawling corridor').toBeDefined();
    const linkName = catalogue.features.find((f) => f.id === CONGESTED_LINK)!.properties.name;
    const linkLocator = page.locator(`#drawer tr[data-id="${congestion!.id}"]`);
    expect(await linkLocator.textContent()).toContain(linkName);
    expect(await linkLocator.locator('.severity').textContent()).toBe('Warning');
    expect(await linkLocator.locator('.alert-rule').textContent()).toMatch(/^Congestion: speed below 40 % of free-flow for 5 minutes/);
    expect(await linkLocator.locator('.alert-state').textContent()).toBe('Open');
    expect(await renderedAlerts(page, 'alerts-lines')).toContainEqual({ asset: CONGESTED_LINK, severity: 'warning' });
    const openBefore = await page.evaluate(() => window.__cityhub!.alerts().filter((a) => a.status !== 'cleared').length);
    expect(await page.locator('#tab-alerts').getAttribute('data-count')).toBe(String(openBefore));
    return { congestion: congestion!, linkLocator, openBefore };
  }

  /** Live: five minutes of readings above the limit (from `t0`) open a critical alert while the page is open. */
  async function buildingAlertOpens(page: Page, t0: number, seq: number, openBefore: number): Promise<{ opened: AlertView; row: Locator }> {
    const sent = performance.now();
    await hub.publish(devices.get(ALERT_BUILDING)!, [0, 2.5, 5].map((m, i) => ({ ts: t0 + m * MIN, seq: seq + i, power_kw: Math.round(limit() * 1.3) })));
    await page.waitForFunction((id) => window.__cityhub!.alerts().some((a) => a.asset === id && a.rule === 'building-power' && a.status === 'open'), ALERT_BUILDING, { timeout: 10_000 });
    console.log(`[kpis-alerts] PUBACK → alert in the page's list: ${(performance.now() - sent).toFixed(0)} ms`);
    await settled(page);
    const opened = (await alertsData(page)).rows.find((a) => a.asset === ALERT_BUILDING && a.rule === 'building-power')!;
    expect(opened).toMatchObject({ severity: 'critical', status: 'open', opened_at: new Date(t0 + 5 * MIN).toISOString() });
    // Active and critical: first in the list.
    expect((await alertsData(page)).rows[0]?.id).toBe(opened.id);
    const row = page.locator(`#drawer tr[data-id="${opened.id}"]`);
    expect(await row.locator('.severity').textContent()).toBe('Critical');
    expect(await row.locator('.alert-rule').textContent()).toMatch(/^Building power above its limit for 5 minutes/);
    expect(await row.locator('th').textContent()).toBe(building().properties.name);
    expect(await row.locator('td').nth(2).textContent()).toBe(LOCAL.format(t0 + 5 * MIN));
    expect(await row.locator('.alert-state').textContent()).toBe('Open');
    expect(await renderedAlerts(page, 'alerts-points')).toContainEqual({ asset: ALERT_BUILDING, severity: 'critical' });
    expect(await page.locator('#tab-alerts').getAttribute('data-count')).toBe(String(openBefore + 1));
    await shoot(page, 'alerts-open', 'alerts');
    return { opened, row };
  }

  /** A click on the row selects the building on the map and opens its panel; close up, its ring is critical. */
  async function selectedWithRing(page: Page, row: Locator, t0: number, coords: [number, number]): Promise<void> {
    await row.locator('.alert-state').click();
    await page.waitForFunction((id) => window.__cityhub!.panel().asset === id, ALERT_BUILDING);
    expect((await stateOf(page, ALERT_BUILDING))?.selected).toBe(true);
    const panelAlerts = await page.locator('#panel .panel-alerts').innerText();
    expect(panelAlerts).toMatch(/^Open alerts\n/);
    expect(panelAlerts).toContain(`critical: Building power above its limit for 5 minutes, since ${LOCAL.format(t0 + 5 * MIN)}`);
    await page.waitForFunction((id) => new URLSearchParams(window.location.search).get('asset') === id, ALERT_BUILDING);
    await page.evaluate((c) => window.__cityhub!.map.jumpTo({ center: c, zoom: 16 }), coords);
    await page.evaluate(() => window.__cityhub!.apply([]));
    await page.mouse.move(2, 2);
    const at = await pointOf(page, coords);
    const ring = await ringShare(page, at.x, at.y, 15, 17, SEVERITY_COLOUR.critical);
    expect(ring, 'share of the ring drawn in the critical colour').toBeGreaterThan(0.5);
    await shoot(page, 'alerts-ring');
  }

  /** An operator acknowledges an alert (with a token the dashboard never holds): the list says who. Returns the token's id. */
  async function acknowledged(alertId: string, linkLocator: Locator): Promise<string> {
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'tokens', 'add', '--role', 'operator', '--name', 'dashboard-test', '--json'],
      { env: { ...process.env, CITYHUB_DATA_DIR: hub.dataDir } });
    const token = JSON.parse(stdout) as { id: string; token: string };
    const ack = await fetch(`${hub.httpUrl}/api/v1/alerts/${encodeURIComponent(alertId)}/ack`, { method: 'POST', headers: { authorization: `Bearer ${token.token}` } });
    expect(ack.status).toBe(200);
    await waitFor(async () => ((await linkLocator.locator('.alert-state').textContent()) === `Acknowledged by ${token.id}` ? true : undefined), 10_000, 'the acknowledgement in the list');
    return token.id;
  }

  it('lists alerts and rings them on the map, live: a building above its limit opens one, and below it clears', async () => {
    const { page } = browser;
    await page.goto(`${hub.httpUrl}/?view=alerts&period=24h`);
    await page.waitForFunction(() => window.__cityhub !== undefined);
    await page.evaluate(() => window.__cityhub!.ready);
    await settled(page);
    await page.waitForFunction(() => (window.__cityhub!.view().data as AlertsData | null)?.state === 'ready');
    const { congestion, linkLocator, openBefore } = await listedCongestion(page);
    const seq = published.find((p) => p.asset === ALERT_BUILDING)!.readings.length;
    const t0 = now - 20 * MIN;
    const { opened, row } = await buildingAlertOpens(page, t0, seq + 1, openBefore);
    const coords = building().geometry.coordinates as [number, number];
    await selectedWithRing(page, row, t0, coords);
    const operator = await acknowledged(congestion.id, linkLocator);

    // Below 90 % of the limit: cleared, live; the ring goes.
    const cleared = performance.now();
    await hub.publish(devices.get(ALERT_BUILDING)!, { ts: t0 + 6 * MIN, seq: seq + 4, power_kw: Math.round(limit() * 0.5) });
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
    expect(all.find((a) => a.id === congestion.id)?.acknowledged_by).toBe(operator);
  });
});
