import { COUNTER_METRICS, METRICS } from '@cityhub/contracts';
import type { AlertView } from '../model/alerts.js';
import type { AssetFeature, MetricName } from '@cityhub/contracts';
import { seriesUrl } from '../data/api.js';
import type { SeriesQuery } from '../data/api.js';
import { PRIMARY_METRIC } from '../model/assets.js';
import type { AssetIndex } from '../model/assets.js';
import { city } from '../time/city.js';
import type { Busy } from '../page/busy.js';
import { Chart } from '../ui/chart.js';
import { detailRows, kindLabel } from './details.js';
import type { Shown } from '../ui/display.js';
import { button, el, segmented, select } from '../ui/dom.js';
import { formatValue, METRIC_INFO, metricLabel } from '../ui/format.js';
import { pointsByAsset } from '../model/points.js';
import { alignSeries, shifted } from '../model/series.js';
import type { ChartData } from '../model/series.js';
import type { SeriesCache } from '../data/series-cache.js';
import { chartSpan, PANEL_RANGE_KEYS, PANEL_RANGES, WEEK_MS } from '../time/time-query.js';
import type { PanelRange } from '../time/time-query.js';
import { renderRows, shownRows } from '../map/tooltip.js';

/** How often an open panel re-reads its chart while live: the store's finest rollup is one minute. */
const CHART_REFRESH_MS = 60_000;
const LINE = '#2166ac';
const LAST_WEEK = '#7a7a7a';

/** The chart the panel shows now, as the test hook reports it. */
export interface ShownChart {
  asset: string;
  metric: string;
  range: PanelRange;
  url: string;
  data: ChartData;
  /** Last week's line, shifted onto this week's times, when comparing. */
  compare: { url: string; data: ChartData } | null;
}

export interface PanelDeps {
  cache: SeriesCache;
  origin: string;
  assets: AssetIndex;
  busy: Busy;
  /** What an asset shows at the dashboard's moment (live or history). */
  shownOf: (id: string) => Shown | null;
  /** Called with the asset opened, or null when the panel closes. */
  onSelect: (id: string | null) => void;
  /** Called when the range or the comparison changes (for the URL). */
  onOptions: (range: PanelRange, compare: boolean) => void;
  /** The asset's alerts open at the dashboard's moment, and a rule's name. */
  alertsOf?: (id: string) => AlertView[];
  ruleName?: (rule: string) => string;
  now?: () => number;
  /** A drag across the chart picked [from, to) (epoch ms): the dashboard moves there. */
  pick?: (from: number, to: number) => void;
}

/** The side panel: an asset's details, its values at the dashboard's moment, and a chart with a range and a comparison. */
export class Panel {
  private asset: AssetFeature | null = null;
  private metric: MetricName = 'speed_kmh';
  private readonly title = el('h2', 'panel-title');
  private readonly kind = el('p', 'panel-kind');
  private readonly facts = el('div', 'panel-facts');
  private readonly now = el('div', 'panel-now');
  private readonly alerts = el('div', 'panel-alerts');
  private readonly metricBox = el('div', 'panel-metric');
  private readonly chartTitle = el('h3', 'panel-chart-title');
  private readonly chartStatus = el('p', 'panel-chart-status');
  private readonly chartBox = el('div', 'panel-chart');
  private readonly chart: Chart;
  private readonly ranges: { root: HTMLElement; set(k: PanelRange): void };
  private readonly compareBox: HTMLInputElement;
  private abort = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private shown: ShownChart | null = null;
  private readonly clock: () => number;
  private time = { t: 0, live: true };
  private range: PanelRange;
  private compare: boolean;
  /** Where focus was before the panel took it, to give it back on close. */
  private returnFocus: HTMLElement | null = null;

  constructor(private readonly root: HTMLElement, private readonly deps: PanelDeps, initial: { range: PanelRange; compare: boolean }) {
    this.clock = deps.now ?? Date.now;
    this.range = initial.range;
    this.compare = initial.compare;
    const close = button('×', 'panel-close', () => this.close(), 'Close details');
    const header = el('header', 'panel-header');
    header.append(this.title, close);
    this.title.id = 'panel-title';
    this.title.tabIndex = -1;
    root.setAttribute('aria-labelledby', 'panel-title');
    this.ranges = segmented('Chart range', PANEL_RANGE_KEYS.map((k) => ({ key: k, text: PANEL_RANGES[k].label })), this.range, (k) => {
      this.range = k;
      this.changed();
    });
    this.compareBox = el('input');
    this.compareBox.type = 'checkbox';
    this.compareBox.id = 'panel-compare';
    this.compareBox.checked = this.compare;
    this.compareBox.addEventListener('change', () => {
      this.compare = this.compareBox.checked;
      this.changed();
    });
    const compareLabel = el('label', 'toggle', 'Compare with the same period last week');
    compareLabel.htmlFor = 'panel-compare';
    const compareRow = el('div', 'toggle');
    compareRow.append(this.compareBox, compareLabel);
    const controls = el('div', 'panel-controls');
    controls.append(this.metricBox, this.ranges.root, compareRow);
    this.alerts.hidden = true;
    root.append(header, this.kind, this.alerts, this.facts, this.now, controls, this.chartTitle, this.chartStatus, this.chartBox);
    root.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        this.close();
      }
    });
    this.chart = new Chart(this.chartBox, 200, deps.pick);
    root.hidden = true;
  }

  /** The asset shown, or null. */
  get current(): string | null {
    return this.asset?.id ?? null;
  }

  /** The chart on show (its URLs and data), or null while loading or closed. */
  get shownChart(): ShownChart | null {
    return this.shown;
  }

  /** Opens the panel on an asset and loads its chart; `focus` moves keyboard focus to it. */
  open(id: string, focus = true): void {
    const asset = this.deps.assets.get(id);
    const previous = this.asset?.id ?? null;
    this.asset = asset;
    const p = asset.properties;
    if (previous !== id) this.metric = PRIMARY_METRIC[p.kind];
    this.title.textContent = p.name;
    this.kind.textContent = `${kindLabel(p)} · ${p.id}`;
    renderRows(this.facts, { title: 'About', rows: detailRows(p) });
    const metrics = select('panel-metric', 'Chart', METRICS[p.kind].map((m: MetricName) => ({ key: m, text: metricLabel(m) })), this.metric, (m) => {
      this.metric = m;
      void this.loadChart();
    });
    this.metricBox.replaceChildren(metrics.root);
    this.refreshValues();
    this.root.hidden = false;
    if (previous !== id) this.deps.onSelect(id);
    if (focus) {
      if (!this.root.contains(document.activeElement) && document.activeElement instanceof HTMLElement) this.returnFocus = document.activeElement;
      this.title.focus();
    }
    void this.loadChart();
    this.schedule();
  }

  /** Closes the panel. */
  close(): void {
    if (!this.asset) return;
    this.asset = null;
    this.shown = null;
    this.abort++;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.chart.clear();
    this.root.hidden = true;
    this.deps.onSelect(null);
    if (this.returnFocus?.isConnected) this.returnFocus.focus();
    this.returnFocus = null;
  }

  /** Follows the dashboard's moment: values, and the chart's range (reloaded only when its range moves). */
  setTime(t: number, live: boolean): void {
    const wasLive = this.time.live;
    this.time = { t, live };
    if (!this.asset) return;
    this.refreshValues();
    const next = this.query();
    if (!this.shown || wasLive !== live || next.from !== this.shownSpan.from || next.to !== this.shownSpan.to) void this.loadChart();
    else this.chart.setMarker(live ? null : t / 1000);
    this.schedule();
  }

  /** Rewrites the values at the dashboard's moment. */
  refreshValues(): void {
    if (!this.asset) return;
    const s = this.deps.shownOf(this.asset.id);
    renderRows(this.now, { title: this.time.live ? 'Now' : `At ${city().format(this.time.t)}`, rows: shownRows(s, this.time.live ? this.clock() : this.time.t, this.time.live) });
    const open = this.deps.alertsOf?.(this.asset.id) ?? [];
    this.alerts.hidden = open.length === 0;
    if (open.length) {
      renderRows(this.alerts, {
        title: this.time.live ? 'Open alerts' : 'Alerts open then',
        rows: open.map((a) => ['Alert', `${a.severity}: ${this.deps.ruleName?.(a.rule) ?? a.rule}, since ${city().format(Date.parse(a.opened_at))}${a.acknowledged_by ? ` (acknowledged by ${a.acknowledged_by})` : ''}`]),
      });
    }
  }

  private shownSpan = { from: 0, to: 0 };

  private changed(): void {
    this.deps.onOptions(this.range, this.compare);
    void this.loadChart();
  }

  private schedule(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = this.time.live ? setInterval(() => void this.loadChart(), CHART_REFRESH_MS) : null;
  }

  private query(): SeriesQuery {
    const { spanMs, step } = PANEL_RANGES[this.range];
    const span = chartSpan(this.time.t, this.time.live, this.clock(), spanMs, step);
    const id = this.asset?.id ?? '';
    return { asset: [id], metric: this.metric, from: span.from, to: span.to, step: step.param, agg: COUNTER_METRICS.has(this.metric) ? 'last' : 'mean' };
  }

  private async loadChart(): Promise<void> {
    const asset = this.asset;
    if (!asset) return;
    const q = this.query();
    const metric = this.metric;
    const range = this.range;
    const compare = this.compare;
    const { step } = PANEL_RANGES[range];
    const prevQ = { ...q, from: q.from - WEEK_MS, to: q.to - WEEK_MS };
    const agg = q.agg === 'last' ? 'last value' : 'mean';
    this.chartTitle.textContent = `${metricLabel(metric)}, ${PANEL_RANGES[range].label} (${agg} per ${step.param === '60s' ? 'minute' : step.param})`;
    if (!this.shown || this.shown.asset !== asset.id) {
      this.shown = null;
      this.chart.clear();
      this.chartStatus.textContent = 'Loading…';
    }
    const token = ++this.abort;
    try {
      const [res, prev] = await this.deps.busy.track(Promise.all([this.deps.cache.get(q), compare ? this.deps.cache.get(prevQ) : null]));
      if (token !== this.abort || this.asset !== asset) return;
      const cur = pointsByAsset(res).get(asset.id) ?? [];
      const last = prev ? shifted(pointsByAsset(prev).get(asset.id) ?? [], WEEK_MS) : null;
      const aligned = alignSeries(last ? [cur, last] : [cur], step.ms);
      const one = (i: number): ChartData => {
        const ys = aligned.ys[i] ?? [];
        const keep = aligned.x.map((_x, j) => ys[j] !== undefined);
        return [aligned.x.filter((_x, j) => keep[j]), ys.filter((_y, j) => keep[j])];
      };
      this.shown = {
        asset: asset.id, metric, range, url: seriesUrl(this.deps.origin, q), data: one(0),
        compare: last ? { url: seriesUrl(this.deps.origin, prevQ), data: one(1) } : null,
      };
      this.shownSpan = { from: q.from, to: q.to };
      if (cur.length === 0 && (!last || last.length === 0)) {
        this.chart.clear();
        this.chartStatus.textContent = `No readings in this ${PANEL_RANGES[range].label}.`;
        return;
      }
      this.chartStatus.textContent = last && last.length === 0 ? 'No readings in the same period last week.' : '';
      const fmt = (v: number) => formatValue(metric, v);
      this.chart.show({
        x: aligned.x, time: true, unit: METRIC_INFO[metric]?.unit ?? '', format: fmt, xRange: [q.from / 1000, q.to / 1000],
        marker: this.time.live ? null : this.time.t / 1000,
        series: [
          { label: 'This period', values: aligned.ys[0] ?? [], colour: LINE, fill: 'rgba(33, 102, 172, 0.08)' },
          ...(last ? [{ label: 'Same period last week', values: aligned.ys[1] ?? [], colour: LAST_WEEK, dash: [6, 4], width: 1.5 }] : []),
        ],
      });
    } catch (e) {
      if (token !== this.abort) return;
      this.chart.clear();
      this.chartStatus.textContent = `Could not load the history: ${(e as Error).message}`;
    }
  }
}
