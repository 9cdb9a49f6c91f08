import type { LinkProperties } from '@cityhub/contracts';
import { seriesUrl } from '../data/api.js';
import type { SeriesQuery } from '../data/api.js';
import { city } from '../time/city.js';
import { byHourOfWeek, weekGrid } from '../model/binning.js';
import { Chart } from '../ui/chart.js';
import { congestionIndex } from '../model/congestion.js';
import type { CongestionPoint } from '../model/congestion.js';
import { el, segmented } from '../ui/dom.js';
import { formatNumber, formatPct } from '../ui/format.js';
import { rampColour, SPEED_RAMP } from '../model/colour.js';
import { pointsByAsset, pointsIn, valueAt } from '../model/points.js';
import { alignSeries } from '../model/series.js';
import { chartSpan, DAY_MS, HOUR_MS, PERIODS, spanEndingAt, STEP_15M, STEP_1H, WEEK_MS } from '../time/time-query.js';
import type { Period, Step } from '../time/time-query.js';
import { renderHeatmap } from './heatmap.js';
import type { AnalysisView, ViewContext, ViewDeps } from './view.js';

/** The congestion chart's step per period: 96, 168 and 120 buckets. */
const INDEX_STEP: Record<Period, Step> = { '24h': STEP_15M, '7d': STEP_1H, '30d': { param: '6h', ms: 6 * HOUR_MS } };
/** The heatmap's history: four weeks of hourly means. */
const HEATMAP_SPAN_MS = 4 * WEEK_MS;

type HeatmapMode = 'usual' | 'week' | 'diff';
const HEATMAP_MODES = [
  { key: 'usual', text: 'Usual week (4-week mean)' },
  { key: 'week', text: 'Last 7 days' },
  { key: 'diff', text: 'Difference' },
] as const satisfies readonly { key: HeatmapMode; text: string }[];

/** What the traffic view computed last, for the test hook. */
export interface TrafficData {
  congestion: { url: string; points: CongestionPoint[]; at: number | null } | null;
  heatmap: { asset: string; url: string; usual: (number | null)[][]; week: (number | null)[][] } | null;
}

/** Traffic: the city congestion index over the period, and the selected link's speed by hour of the week. */
export class TrafficView implements AnalysisView {
  readonly root = el('div', 'view view-traffic');
  private readonly indexNow = el('p', 'big-number');
  private readonly indexStatus = el('p', 'status-line');
  private readonly chart: Chart;
  private readonly heatTitle = el('h3');
  private readonly heatStatus = el('p', 'status-line');
  private readonly heatBox = el('div', 'heatmap-box');
  private readonly modes: HTMLElement;
  private readonly worst = el('ol', 'congested');
  private readonly links = new Map<string, LinkProperties>();
  private result: TrafficData = { congestion: null, heatmap: null };
  private indexKey = '';
  private heatKey = '';
  private mode: HeatmapMode = 'usual';
  private lastCtx: ViewContext | null = null;

  constructor(private readonly deps: ViewDeps) {
    for (const f of deps.assets.all()) if (f.properties.kind === 'traffic') this.links.set(f.id, f.properties);
    const left = el('section', 'card');
    const chartBox = el('div', 'view-chart');
    left.append(el('h3', undefined, 'City congestion index'), this.indexNow, this.indexStatus, chartBox);
    left.append(el('p', 'note', 'Length-weighted mean of 1 − speed ÷ free-flow speed over the links that reported: 0 % flowing freely, 100 % stopped.'));
    this.chart = new Chart(chartBox, 170, deps.pick);
    const right = el('section', 'card');
    this.modes = segmented('Heatmap', HEATMAP_MODES, this.mode, (m) => {
      this.mode = m;
      this.drawHeatmap();
    }).root;
    right.append(this.heatTitle, this.modes, this.heatStatus, this.heatBox, this.worst);
    this.root.append(left, right);
  }

  data(): TrafficData {
    return this.result;
  }

  async update(ctx: ViewContext): Promise<void> {
    this.lastCtx = ctx;
    await Promise.all([this.updateIndex(ctx), this.updateHeatmap(ctx)]);
  }

  private async updateIndex(ctx: ViewContext): Promise<void> {
    const step = INDEX_STEP[ctx.period];
    const span = chartSpan(ctx.t, ctx.live, Date.now(), PERIODS[ctx.period].spanMs, step);
    const q: SeriesQuery = { kind: 'traffic', metric: 'speed_kmh', from: span.from, to: span.to, step: step.param, agg: 'mean' };
    const url = seriesUrl(this.deps.origin, q);
    if (url === this.indexKey && this.result.congestion) {
      this.chart.setMarker(ctx.live ? null : ctx.t / 1000);
      this.showIndexNow(ctx, step.ms);
      return;
    }
    this.indexKey = url;
    this.indexStatus.textContent = 'Loading…';
    try {
      const res = await this.deps.busy.track(this.deps.cache.get(q));
      if (this.indexKey !== url) return;
      const points = congestionIndex(pointsByAsset(res), this.links);
      this.result.congestion = { url, points, at: null };
      this.indexStatus.textContent = points.length ? '' : 'No road link reported in this period.';
      const { x, ys } = alignSeries([points.map((p) => [p.t, p.index * 100] as const)], step.ms);
      this.chart.show({
        x, time: true, unit: '%', xRange: [span.from / 1000, span.to / 1000], yRange: [0, Math.max(20, ...points.map((p) => p.index * 110))], marker: ctx.live ? null : ctx.t / 1000,
        format: (v) => `${v.toFixed(1)} %`,
        series: [{ label: 'Congestion index', values: ys[0] ?? [], colour: '#b2182b', fill: 'rgba(178, 24, 43, 0.08)' }],
      });
      this.showIndexNow(ctx, step.ms);
    } catch (e) {
      if (this.indexKey === url) this.indexStatus.textContent = `Could not load the index: ${(e as Error).message}`;
      this.indexKey = '';
    }
  }

  private showIndexNow(ctx: ViewContext, stepMs: number): void {
    const c = this.result.congestion;
    if (!c) return;
    const p = valueAt(c.points.map((x) => [x.t, x.index] as const), ctx.t, 2 * stepMs);
    c.at = p ? p[1] : null;
    this.indexNow.textContent = `${formatPct(c.at)} ${ctx.live ? 'now' : `at ${city().format(ctx.t)}`}`;
  }

  private async updateHeatmap(ctx: ViewContext): Promise<void> {
    const id = ctx.selected && this.links.has(ctx.selected) ? ctx.selected : null;
    this.modes.hidden = !id;
    this.worst.hidden = !!id;
    if (!id) {
      this.heatKey = '';
      this.result.heatmap = null;
      this.heatTitle.textContent = `Most congested links ${ctx.live ? 'now' : `at ${city().format(ctx.t)}`}`;
      this.heatStatus.textContent = 'Select a link (here, on the map or with Find) to see its speed by hour of the week.';
      this.heatBox.replaceChildren();
      this.drawWorst();
      return;
    }
    const span = spanEndingAt(ctx.t, HEATMAP_SPAN_MS, STEP_1H);
    const q: SeriesQuery = { asset: [id], metric: 'speed_kmh', from: span.from, to: span.to, step: '1h', agg: 'mean' };
    const url = seriesUrl(this.deps.origin, q);
    this.heatTitle.textContent = `Speed by hour of the week: ${this.links.get(id)?.name ?? id}`;
    if (url === this.heatKey && this.result.heatmap) {
      this.drawHeatmap();
      return;
    }
    this.heatKey = url;
    this.heatStatus.textContent = 'Loading…';
    try {
      const res = await this.deps.busy.track(this.deps.cache.get(q));
      if (this.heatKey !== url) return;
      const pts = pointsByAsset(res).get(id) ?? [];
      this.result.heatmap = {
        asset: id, url,
        usual: weekGrid(byHourOfWeek(pts).mean),
        week: weekGrid(byHourOfWeek(pointsIn(pts, span.to - WEEK_MS, span.to)).mean),
      };
      const days = new Set(pts.map(([t]) => Math.floor(t / DAY_MS))).size;
      this.heatStatus.textContent = pts.length ? `Hourly means over ${days} day${days === 1 ? '' : 's'} with data in the last four weeks (Thessaloniki time).` : 'No readings from this link in the last four weeks.';
      this.drawHeatmap();
    } catch (e) {
      if (this.heatKey === url) this.heatStatus.textContent = `Could not load the link's history: ${(e as Error).message}`;
      this.heatKey = '';
    }
  }

  /** The eight links slowest against their free-flow speed at the moment, as the map shows them. */
  private drawWorst(): void {
    const rows: { id: string; name: string; speed: number; ratio: number }[] = [];
    for (const [id, link] of this.links) {
      const s = this.deps.shownOf(id);
      const speed = s && !s.offline ? s.values.speed_kmh : undefined;
      if (speed !== undefined) rows.push({ id, name: link.name, speed, ratio: speed / link.free_flow_kmh });
    }
    rows.sort((a, b) => a.ratio - b.ratio);
    this.worst.replaceChildren(...rows.slice(0, 8).map((r) => {
      const li = el('li');
      const swatch = el('span', 'swatch');
      swatch.style.background = rampColour(SPEED_RAMP, r.ratio);
      const b = el('button', 'link-button', r.name);
      b.type = 'button';
      b.addEventListener('click', () => this.deps.openAsset(r.id));
      li.append(swatch, b, el('span', 'num', `${formatNumber(r.speed)} km/h · ${formatPct(r.ratio)} of free-flow`));
      return li;
    }));
    if (rows.length === 0) this.worst.replaceChildren(el('li', undefined, 'No link reporting at this moment.'));
  }

  private drawHeatmap(): void {
    const h = this.result.heatmap;
    const link = h ? this.links.get(h.asset) : undefined;
    if (!h || !link) return;
    const grid = this.mode === 'usual' ? h.usual : this.mode === 'week' ? h.week
      : h.week.map((row, d) => row.map((v, i) => (v === null || h.usual[d]?.[i] == null ? null : v - (h.usual[d]?.[i] ?? 0))));
    const p = this.lastCtx ? city().localParts(this.lastCtx.t) : null;
    this.heatBox.replaceChildren(renderHeatmap(grid, link.free_flow_kmh, p ? { dow: p.dow, hour: p.hour } : null, this.mode === 'diff'));
  }
}
