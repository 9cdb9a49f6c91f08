/** The expectations about the views and the panel, each recomputed from `/series` (see `oracle.ts`). */
import { expect } from 'vitest';
import type { Page } from 'playwright-core';
import type { ShownChart } from '../src/panel/panel.js';
import type { EnergyData } from '../src/views/energy.js';
import type { TrafficData } from '../src/views/traffic.js';
import type { WifiData } from '../src/views/wifi.js';
import type {} from '../src/page/test-hook.js';
import { resolveTime } from './cases.js';
import type { Expectation, RunContext } from './cases.js';
import { expectedAvailability, expectedBuildings, expectedCongestion, getSeries } from './oracle.js';
import type { EnergySeries } from './oracle.js';

const WEEK = 7 * 86_400_000;

/** The CSV has a header and one line per building with the view's numbers (and quotes names that need it). */
export function checkCsv(d: EnergyData, csv: string | null, where: string): void {
  expect(csv, `${where}: a CSV was downloaded`).not.toBeNull();
  const [header, ...lines] = parseCsv(csv!);
  expect(header).toEqual(['building_id', 'name', 'use', 'floor_area_m2', 'from', 'to', 'energy_kwh', 'kwh_per_m2', 'baseload_kw', 'peak_kw', 'week_on_week', 'partial', 'source',
    'baseload_w_per_m2', 'baseload_share_of_day', 'vs_previous_period', 'vs_year_ago', 'licence', 'licence_url', 'attribution']);
  expect(lines.length, `${where}: one line per building`).toBe(d.rows.length);
  for (const row of d.rows) {
    const cells = lines.find((l) => l[0] === row.id);
    expect(cells, `${where}: ${row.id} in the CSV`).toBeDefined();
    expect(cells![1], `${where}: ${row.id} name`).toBe(row.name);
    expect(cells![6] === '' ? null : Number(cells![6]), `${where}: ${row.id} kWh in the CSV`).toEqual(row.kwh);
    expect(cells![4], `${where}: period start`).toBe(new Date(d.from).toISOString());
  }
}

/** RFC 4180, as a spreadsheet reads it: quoted cells may hold commas, quotes (doubled) and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [], cell = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (ch === '"') quoted = false; else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(cell); cell = ''; } else if (ch === '\r' && text[i + 1] === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; i++; } else cell += ch;
  }
  return rows;
}

export async function checkPanel(page: Page, want: NonNullable<Expectation['panel']>, ctx: RunContext, where: string): Promise<void> {
  const chart: ShownChart | null = await page.evaluate(() => window.__cityhub!.panel().chart);
  expect(chart?.asset, `${where}: panel asset`).toBe(want.asset);
  if (want.range) expect(chart!.range, `${where}: panel range`).toBe(want.range);
  const url = new URL(chart!.url);
  const from = Date.parse(url.searchParams.get('from')!), to = Date.parse(url.searchParams.get('to')!);
  if (want.endsNear) {
    // The chart of a past moment ends within a quarter of its span after it: the moment the page shows,
    // which the slider snapped to its step (up to a minute) from the one the case asked for.
    const asked = resolveTime(want.endsNear, ctx.anchors)!;
    const shown = ((await page.evaluate(() => window.__cityhub!.urlState())) as unknown as { t?: unknown }).t;
    const t = typeof shown === 'number' ? shown : asked;
    expect(Math.abs(t - asked), `${where}: the moment shown is the one asked for`).toBeLessThanOrEqual(60_000);
    expect(to, `${where}: chart ends after the moment`).toBeGreaterThan(t);
    expect(to - t, `${where}: chart ends near the moment`).toBeLessThanOrEqual((to - from) / 4);
  }
  const drawn = (data: ShownChart['data']) => data[0].map((x, i) => [x, data[1][i]] as const).filter(([, y]) => y !== null && y !== undefined);
  const api = await getSeries(chart!.url);
  const points = api.series.find((s) => s.asset === want.asset)?.points ?? [];
  expect(drawn(chart!.data), `${where}: panel chart = /series`).toEqual(points.map(([ts, v]) => [Date.parse(ts) / 1000, v]));
  expect(points.length, `${where}: the chart has points`).toBeGreaterThan(0);
  if (want.compare !== undefined) expect(chart!.compare !== null, `${where}: comparing`).toBe(want.compare);
  if (want.compare) {
    const prevUrl = new URL(chart!.compare!.url);
    expect(Date.parse(prevUrl.searchParams.get('from')!), `${where}: last week's range`).toBe(from - WEEK);
    const prev = await getSeries(chart!.compare!.url);
    const prevPoints = prev.series.find((s) => s.asset === want.asset)?.points ?? [];
    expect(prevPoints.length, `${where}: last week has points`).toBeGreaterThan(0);
    expect(drawn(chart!.compare!.data), `${where}: last week's line = /series shifted a week`)
      .toEqual(prevPoints.map(([ts, v]) => [(Date.parse(ts) + WEEK) / 1000, v]));
    expect(await page.locator('#panel .uplot .u-legend').textContent()).toMatch(/Same period last week/);
  }
}

export async function checkEnergy(page: Page, want: NonNullable<Expectation['energy']>, ctx: RunContext, where: string): Promise<void> {
  const { view, data } = await page.evaluate(() => window.__cityhub!.view());
  expect(view).toBe('energy');
  const d = data as EnergyData;
  for (const [name, u] of Object.entries(d.urls)) {
    const q = new URL(u).searchParams;
    expect(q.get('kind'), `${where}: ${name} URL`).toBe('energy');
    expect(q.get('step'), `${where}: ${name} step`).toBe('1h');
  }
  const names = ['counter', 'meanPower', 'maxPower', 'yearCounter', 'yearMeanPower'] as const;
  const answers = await Promise.all(names.map((n) => getSeries(d.urls[n])));
  const series = Object.fromEntries(names.map((n, i) => [n, answers[i]!])) as unknown as EnergySeries;
  const expected = expectedBuildings(ctx.catalogue, series, d.from, d.to, d.yearAgo);
  for (const row of d.rows) {
    const x = expected.get(row.id)!;
    for (const k of ['kwh', 'kwhPerM2', 'baseloadKw', 'baseloadWPerM2', 'baseloadShare', 'peakKw', 'weekOnWeek', 'vsPrevious', 'vsYearAgo'] as const) {
      if (x[k] === null) expect(row[k], `${where}: ${row.id} ${k} (from /series)`).toBeNull();
      else expect(row[k], `${where}: ${row.id} ${k} (from /series)`).toBeCloseTo(x[k], 6);
    }
  }
  for (const [id, fields] of Object.entries(want.rows ?? {})) {
    const row = d.rows.find((r) => r.id === id) as unknown as Record<string, number | null> | undefined;
    for (const [k, v] of Object.entries(fields)) {
      if (v === null) expect(row?.[k], `${where}: ${id} ${k} (hand-computed)`).toBeNull();
      else expect(row?.[k], `${where}: ${id} ${k} (hand-computed)`).toBeCloseTo(v, 4);
    }
  }
  // The table on screen shows the same ranking, in order.
  const shownIds = await page.locator('#drawer .data-table tbody tr').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.id));
  expect(shownIds.length, `${where}: a row per building`).toBe(d.rows.length);
  if (want.sortedBy) {
    const key = want.sortedBy as keyof EnergyData['rows'][number];
    const vals = shownIds.map((id) => d.rows.find((r) => r.id === id)![key] as number | null);
    const present = vals.filter((v): v is number => v !== null);
    expect(present, `${where}: sorted by ${key}, highest first`).toEqual([...present].sort((a, b) => b - a));
    expect(vals.slice(present.length).every((v) => v === null), `${where}: blanks last`).toBe(true);
  }
  if (want.first) expect(shownIds[0], `${where}: first in the table`).toBe(want.first);
  const firstKwh = await page.locator('#drawer .data-table tbody tr').first().locator('td').first().textContent();
  const top = d.rows.find((r) => r.id === shownIds[0]);
  // The table shows whole kWh: a value ending in .5 may round either way, so allow up to one unit.
  const shownKwh = Number(firstKwh?.replace(/,/g, ''));
  expect(Math.abs(shownKwh - (top?.kwh ?? Number.NaN)), `${where}: the table's first kWh (${shownKwh} vs ${top?.kwh})`).toBeLessThanOrEqual(0.5 + 1e-9);
}

export async function checkTraffic(page: Page, want: NonNullable<Expectation['traffic']>, ctx: RunContext, where: string): Promise<void> {
  const { view, data } = await page.evaluate(() => window.__cityhub!.view());
  expect(view).toBe('traffic');
  const d = data as TrafficData;
  if (want.congestionAt) {
    const clock = await page.evaluate(() => window.__cityhub!.clock());
    const res = await getSeries(d.congestion!.url);
    const step = (res.step_s ?? 900) * 1000;
    const x = expectedCongestion(res, ctx.catalogue, clock.t, 2 * step);
    expect(x, `${where}: some link reported`).not.toBeNull();
    expect(d.congestion!.at, `${where}: congestion index at the moment (from /series)`).toBeCloseTo(x!, 6);
  }
  if (want.heatmap) {
    expect(d.heatmap?.asset).toBe(want.heatmap.asset);
    for (const [dow, hour, v] of want.heatmap.cells) expect(d.heatmap!.usual[dow]![hour], `${where}: heatmap ${dow}/${hour}`).toBeCloseTo(v, 6);
    const cell = page.locator(`#drawer .hm-cell[data-dow="${want.heatmap.cells[0]![0]}"][data-hour="${want.heatmap.cells[0]![1]}"]`);
    expect(Number(await cell.textContent()), `${where}: heatmap cell text`).toBeCloseTo(want.heatmap.cells[0]![2], 0);
  }
}

export async function checkWifi(page: Page, want: NonNullable<Expectation['wifi']>, where: string): Promise<void> {
  const { view, data } = await page.evaluate(() => window.__cityhub!.view());
  expect(view).toBe('wifi');
  const d = data as WifiData;
  for (const id of want.offline ?? []) expect(d.offline, `${where}: ${id} offline`).toContain(id);
  for (const id of want.online ?? []) expect(d.rows.find((r) => r.id === id)?.status, `${where}: ${id} online`).toBe('online');
  if (want.offline?.length) expect(await page.locator('#drawer .offline-now').textContent()).toMatch(/^Offline/);
  if (want.availability) {
    const res = await getSeries(d.urls.count);
    for (const r of d.rows) expect(r.availability, `${where}: ${r.id} availability (from /series)`).toBeCloseTo(expectedAvailability(res, r.id, d.from, d.availableTo), 6);
  }
}


/** The smallest touch target, in CSS pixels (WCAG 2.5.5). */
const TOUCH_PX = 44;

/** Every visible element matching each selector is a touch target of at least 44 × 44 px. */
export async function checkTargets(page: Page, selectors: readonly string[], where: string): Promise<void> {
  for (const sel of selectors) {
    const boxes = await page.locator(sel).evaluateAll((els) => els.map((e) => {
      const r = e.getBoundingClientRect();
      return { w: r.width, h: r.height, text: (e.textContent ?? '').trim().slice(0, 30) };
    }).filter((b) => b.w > 0 && b.h > 0));
    expect(boxes.length, `${where}: ${sel} on screen`).toBeGreaterThan(0);
    const small = boxes.filter((b) => b.w < TOUCH_PX - 0.5 || b.h < TOUCH_PX - 0.5);
    expect(small, `${where}: ${sel} smaller than ${TOUCH_PX} px`).toEqual([]);
  }
}
