import { fetchJson, kpisUrl } from '../data/api.js';
import { city } from '../time/city.js';
import { button, el } from '../ui/dom.js';
import { formatKpiValue, formatTarget, KpiList, STANDING_TEXT, standingOf, trendOf } from '../model/kpis.js';
import type { Kpi } from '../model/kpis.js';
import { alignDown, HOUR_MS, MINUTE_MS, PERIODS } from '../time/time-query.js';
import type { AnalysisView, ViewContext, ViewDeps } from './view.js';

/** What the KPI view shows now, for the test hook: the request, and the API's answer once it came. */
export interface KpiData {
  url: string;
  from: number;
  to: number;
  state: 'loading' | 'ready' | 'error';
  items: Kpi[];
  error: string | null;
}

/**
 * The city's KPIs over the period ending at the dashboard's moment (whole hours, as the API computes them):
 * value, target, met or not (in words, the colour repeats them), and the trend against the comparison period.
 */
export class KpiView implements AnalysisView {
  readonly root = el('div', 'view view-kpis');
  private readonly heading = el('h3', undefined, 'The city against its targets');
  private readonly status = el('p', 'status-line');
  private readonly retry = button('Try again', 'action', () => this.reload());
  private readonly table = el('table', 'data-table kpi-table');
  private readonly body = el('tbody');
  private result: KpiData | null = null;
  private key = '';
  private lastCtx: ViewContext | null = null;

  constructor(private readonly deps: ViewDeps) {
    this.heading.id = 'kpi-heading';
    this.status.setAttribute('role', 'status');
    this.retry.hidden = true;
    this.table.setAttribute('aria-labelledby', 'kpi-heading');
    const head = el('thead');
    const tr = el('tr');
    for (const [text, cls] of [['Indicator', ''], ['Value', 'num'], ['Target', 'num'], ['Status', ''], ['Trend', '']] as const) {
      const th = el('th', cls || undefined, text);
      th.scope = 'col';
      tr.append(th);
    }
    head.append(tr);
    this.table.append(head, this.body);
    const card = el('section', 'card card-full');
    card.setAttribute('aria-labelledby', 'kpi-heading');
    const statusRow = el('div', 'status-row');
    statusRow.append(this.status, this.retry);
    const scroll = el('div', 'table-scroll');
    scroll.append(this.table);
    card.append(this.heading, statusRow, scroll,
      el('p', 'note', 'From the hourly rollups over whole hours. Traffic and Wi-Fi are compared with the period just before; energy with the same period a year earlier, or the first recorded one.'));
    this.root.append(card);
  }

  data(): KpiData | null {
    return this.result;
  }

  async update(ctx: ViewContext): Promise<void> {
    this.lastCtx = ctx;
    // The period ends at the last complete hour at the moment (as the API's does): a target is never missed on
    // account of an hour that has not finished.
    const to = alignDown(ctx.t, HOUR_MS);
    const from = to - PERIODS[ctx.period].spanMs;
    const url = kpisUrl(this.deps.origin, from, to);
    // Live, late readings of the last hour still arrive: read again each minute, not on every context change.
    const key = ctx.live ? `${url} ${Math.floor(Date.now() / MINUTE_MS)}` : url;
    if (key === this.key) return;
    this.key = key;
    const span = ctx.live ? `the last ${PERIODS[ctx.period].label}` : `${PERIODS[ctx.period].label} to ${city().format(to)}`;
    const fresh = this.result?.url !== url;
    this.result = { url, from, to, state: 'loading', items: fresh ? [] : this.result?.items ?? [], error: null };
    this.table.setAttribute('aria-busy', 'true');
    this.retry.hidden = true;
    if (fresh) {
      this.status.textContent = `Loading the KPIs over ${span}…`;
      this.body.replaceChildren();
    }
    try {
      const res = await this.deps.busy.track(fetchJson(url, KpiList));
      if (this.key !== key) return;
      this.result = { url, from, to, state: 'ready', items: res.items, error: null };
      this.status.textContent = `${ctx.live ? `The last ${PERIODS[ctx.period].label}` : PERIODS[ctx.period].label}, in whole hours: ${city().format(Date.parse(res.from))} to ${city().format(Date.parse(res.to))}, Thessaloniki time.`;
      this.render(res.items);
      this.table.removeAttribute('aria-busy');
    } catch (e) {
      if (this.key !== key) return;
      this.key = '';
      const message = (e as Error).message;
      this.result = { url, from, to, state: 'error', items: [], error: message };
      this.status.textContent = `Could not load the KPIs: ${message}`;
      this.body.replaceChildren();
      this.retry.hidden = false;
      this.table.removeAttribute('aria-busy');
    }
  }

  private reload(): void {
    this.key = '';
    if (this.lastCtx) void this.update(this.lastCtx);
  }

  private render(items: readonly Kpi[]): void {
    this.body.replaceChildren(...items.map((k) => {
      const tr = el('tr');
      tr.dataset.id = k.id;
      const name = el('th', 'kpi-name', k.name);
      name.scope = 'row';
      const value = el('td', 'num kpi-value', formatKpiValue(k.value, k.unit));
      if (k.value === null) value.classList.add('kpi-none');
      const target = el('td', 'num kpi-target', formatTarget(k));
      const standing = standingOf(k);
      const status = el('td', 'kpi-status');
      status.append(el('span', `badge kpi-${standing}`, STANDING_TEXT[standing]));
      const t = trendOf(k);
      const trend = el('td', 'kpi-trend');
      const change = el('span', `kpi-change${t.verdict ? ` kpi-${t.verdict}` : ''}`, t.arrow ? `${t.arrow} ${t.change}` : t.change);
      if (t.verdict && t.verdict !== 'unchanged') change.append(el('span', 'kpi-verdict', ` ${t.verdict}`));
      trend.append(change, el('span', 'kpi-against', t.against));
      tr.append(name, value, target, status, trend);
      return tr;
    }));
  }
}
