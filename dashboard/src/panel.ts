import type { AssetFeature } from '@cityhub/contracts';
import { lastMinutesQuery, seriesUrl } from './api.js';
import type { Api } from './api.js';
import { PRIMARY_METRIC } from './assets.js';
import type { AssetIndex } from './assets.js';
import { SeriesChart } from './chart.js';
import { toChartData } from './series.js';
import type { ChartData } from './series.js';
import { detailRows, kindLabel } from './details.js';
import { formatAge, formatValue, metricLabel } from './format.js';
import type { AssetReading } from './state.js';
import { renderRows } from './tooltip.js';

/** How often an open panel re-reads its chart: the store's finest rollup is one minute. */
const CHART_REFRESH_MS = 60_000;

/** The chart the panel shows now, as the test hook reports it. */
export interface ShownChart { asset: string; metric: string; url: string; data: ChartData }

export interface PanelDeps {
  api: Api;
  assets: AssetIndex;
  readingOf: (id: string) => AssetReading | undefined;
  /** Called with the asset opened, or null when the panel closes. */
  onSelect: (id: string | null) => void;
  now?: () => number;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** The side panel: an asset's details, its current values and a chart of its last hour. */
export class Panel {
  private asset: AssetFeature | null = null;
  private readonly title = el('h2', 'panel-title');
  private readonly kind = el('p', 'panel-kind');
  private readonly facts = el('div', 'panel-facts');
  private readonly now = el('div', 'panel-now');
  private readonly chartTitle = el('h3', 'panel-chart-title');
  private readonly chartStatus = el('p', 'panel-chart-status');
  private readonly chartBox = el('div', 'panel-chart');
  private readonly chart: SeriesChart;
  private abort: AbortController | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private shown: ShownChart | null = null;
  private readonly clock: () => number;
  /** Where focus was before the panel took it, to give it back on close. */
  private returnFocus: HTMLElement | null = null;

  constructor(private readonly root: HTMLElement, private readonly deps: PanelDeps) {
    this.clock = deps.now ?? Date.now;
    const close = el('button', 'panel-close', '×');
    close.type = 'button';
    close.setAttribute('aria-label', 'Close details');
    close.addEventListener('click', () => this.close());
    const header = el('header', 'panel-header');
    header.append(this.title, close);
    this.title.id = 'panel-title';
    this.title.tabIndex = -1;
    root.setAttribute('aria-labelledby', 'panel-title');
    root.append(header, this.kind, this.facts, this.now, this.chartTitle, this.chartStatus, this.chartBox);
    root.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') this.close();
    });
    this.chart = new SeriesChart(this.chartBox);
    root.hidden = true;
  }

  /** The asset shown, or null. */
  get current(): string | null {
    return this.asset?.id ?? null;
  }

  /** The chart on show (its URL and data), or null while loading or closed. */
  get shownChart(): ShownChart | null {
    return this.shown;
  }

  /** Opens the panel on an asset and loads its chart. */
  open(id: string): void {
    const asset = this.deps.assets.get(id);
    const previous = this.asset?.id ?? null;
    this.asset = asset;
    const p = asset.properties;
    this.title.textContent = p.name;
    this.kind.textContent = `${kindLabel(p)} · ${p.id}`;
    renderRows(this.facts, { title: 'About', rows: detailRows(p) });
    this.refreshValues();
    this.root.hidden = false;
    if (previous !== id) this.deps.onSelect(id);
    if (!this.root.contains(document.activeElement) && document.activeElement instanceof HTMLElement) {
      this.returnFocus = document.activeElement;
    }
    this.title.focus();
    void this.loadChart();
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => void this.loadChart(), CHART_REFRESH_MS);
  }

  /** Closes the panel. */
  close(): void {
    if (!this.asset) return;
    this.asset = null;
    this.shown = null;
    this.abort?.abort();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.chart.clear();
    this.root.hidden = true;
    this.deps.onSelect(null);
    if (this.returnFocus?.isConnected) this.returnFocus.focus();
    this.returnFocus = null;
  }

  /** Rewrites the current values from the newest reading. */
  refreshValues(): void {
    if (!this.asset) return;
    const r = this.deps.readingOf(this.asset.id);
    const rows: [string, string][] = r
      ? [...Object.entries(r.values).map(([m, v]): [string, string] => [metricLabel(m), formatValue(m, v)]),
        ['Updated', `${formatAge(r.ts, this.clock())} (${new Date(r.ts).toLocaleTimeString('en-GB')})`], ['Device', r.device]]
      : [['Reading', 'none yet']];
    renderRows(this.now, { title: 'Now', rows });
  }

  private async loadChart(): Promise<void> {
    const asset = this.asset;
    if (!asset) return;
    const metric = PRIMARY_METRIC[asset.properties.kind];
    const q = lastMinutesQuery(asset.id, metric, this.clock());
    const url = seriesUrl(this.deps.api.origin, q);
    this.chartTitle.textContent = `Last hour: ${metricLabel(metric)}, 1-minute mean`;
    if (!this.shown || this.shown.asset !== asset.id) {
      this.shown = null;
      this.chart.clear();
      this.chartStatus.textContent = 'Loading…';
    }
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    try {
      const res = await this.deps.api.series(q, abort.signal);
      if (abort.signal.aborted || this.asset !== asset) return;
      const data = toChartData(res, asset.id);
      this.shown = { asset: asset.id, metric, url, data };
      if (data[0].length === 0) {
        this.chart.clear();
        this.chartStatus.textContent = 'No readings in the last hour.';
      } else {
        this.chartStatus.textContent = '';
        this.chart.show(metric, data);
      }
    } catch (e) {
      if (abort.signal.aborted) return;
      this.chart.clear();
      this.chartStatus.textContent = `Could not load the history: ${(e as Error).message}`;
    }
  }
}
