import { button, el, select } from '../ui/dom.js';
import { PERIOD_KEYS, PERIODS } from '../time/time-query.js';
import type { Period } from '../time/time-query.js';
import { VIEWS } from '../page/url-state.js';
import type { ViewName } from '../page/url-state.js';
import { AlertsView } from '../views/alerts.js';
import { EnergyView } from '../views/energy.js';
import { KpiView } from '../views/kpis.js';
import { TrafficView } from '../views/traffic.js';
import type { AnalysisView, ViewContext, ViewDeps } from '../views/view.js';
import { WifiView } from '../views/wifi.js';

const TITLES: Record<ViewName, string> = { map: 'Map', traffic: 'Traffic', energy: 'Energy', wifi: 'Wi-Fi', kpis: 'KPIs', alerts: 'Alerts' };
/** What a view's drawer is labelled for assistive technology (the tab says it shorter). */
const LONG_TITLES: Partial<Record<ViewName, string>> = { kpis: 'Key performance indicators' };
/** Context changes closer together than this (the player's frames) are drawn once. */
const UPDATE_EVERY_MS = 200;

export interface DrawerOptions {
  /** The context the views start from (the URL's moment and asset), so the first update is already the right one. */
  context: Omit<ViewContext, 'period'>;
  /** The tab bar (the header's `<nav>`). */
  nav: HTMLElement;
  /** The drawer under the map. */
  root: HTMLElement;
  deps: ViewDeps;
  view: ViewName;
  period: Period;
  onChange: (view: ViewName, period: Period) => void;
}

/**
 * The view tabs and the analysis drawer: Map alone, or Traffic, Energy or Wi-Fi in a drawer under the map.
 * Every view follows one context (the dashboard's moment, the period, the selected asset).
 */
export class Drawer {
  private current: ViewName;
  private period: Period;
  private readonly views: Record<Exclude<ViewName, 'map'>, AnalysisView>;
  private readonly tabs = new Map<ViewName, HTMLButtonElement>();
  private readonly title = el('h2', 'drawer-title');
  private readonly actions = el('div', 'drawer-actions');
  private readonly body = el('div', 'drawer-body');
  private ctx: Omit<ViewContext, 'period'>;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running: Promise<void> = Promise.resolve();
  /** Resolves once the update the timer will start has finished (so `settled` sees scheduled work too). */
  private scheduled: { promise: Promise<void>; resolve: () => void } | null = null;
  private energy: EnergyView;

  constructor(private readonly opts: DrawerOptions) {
    this.current = opts.view;
    this.period = opts.period;
    this.ctx = opts.context;
    this.energy = new EnergyView(opts.deps);
    this.views = {
      traffic: new TrafficView(opts.deps), energy: this.energy, wifi: new WifiView(opts.deps),
      kpis: new KpiView(opts.deps), alerts: new AlertsView(opts.deps),
    };
    this.renderTabs();
    const periods = select('period', 'Period', PERIOD_KEYS.map((k) => ({ key: k, text: PERIODS[k].label })), this.period, (p) => {
      this.period = p;
      this.opts.onChange(this.current, this.period);
      this.refresh(true);
    });
    const close = button('×', 'drawer-close', () => this.setView('map', true), 'Close the analysis view');
    const bar = el('div', 'drawer-bar');
    bar.append(this.title, periods.root, this.actions, close);
    opts.root.append(bar, this.body);
    opts.root.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        this.setView('map', true);
      }
    });
    this.show();
  }

  /** The view on show. */
  get view(): ViewName {
    return this.current;
  }

  /** What the view on show last computed (for the test hook). */
  data(): { view: ViewName; data: unknown } {
    return { view: this.current, data: this.current === 'map' ? null : this.views[this.current].data() };
  }

  /** Resolves when the view's latest update, and any scheduled one, has finished. */
  async settled(): Promise<void> {
    await this.scheduled?.promise;
    await this.running;
  }

  /** Shows a view; `focusTab` moves focus to its tab (after a close, focus must not be lost). */
  setView(view: ViewName, focusTab = false): void {
    if (view === this.current) return;
    this.current = view;
    this.show();
    this.opts.onChange(this.current, this.period);
    if (focusTab) this.tabs.get(view)?.focus();
  }

  /**
   * Shows a count on a view's tab (the open alerts), or none for null: visible while the drawer shows another
   * view, or none at all.
   */
  setCount(view: ViewName, count: number | null, what: string): void {
    const tab = this.tabs.get(view);
    if (!tab) return;
    const parts: Node[] = [document.createTextNode(TITLES[view])];
    if (count) {
      const badge = el('span', 'tab-count', String(count));
      badge.setAttribute('aria-hidden', 'true');
      parts.push(badge, el('span', 'visually-hidden', `, ${count} ${what}`));
    }
    tab.replaceChildren(...parts);
    tab.dataset.count = String(count ?? 0);
  }

  /** Follows a new context (moment, live, selection): updates now when the view changes, else at most every 200 ms. */
  setContext(ctx: Partial<Omit<ViewContext, 'period'>>): void {
    this.ctx = { ...this.ctx, ...ctx };
    this.refresh(false);
  }

  private refresh(now: boolean): void {
    if (this.current === 'map') return;
    if (now) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.run();
    } else if (!this.timer) {
      let resolve = () => {};
      const promise = new Promise<void>((r) => (resolve = r));
      this.scheduled = { promise, resolve };
      this.timer = setTimeout(() => {
        this.timer = null;
        this.run();
      }, UPDATE_EVERY_MS);
    }
  }

  private run(): void {
    const scheduled = this.scheduled;
    this.scheduled = null;
    if (this.current !== 'map') {
      const view = this.views[this.current];
      this.running = view.update({ ...this.ctx, period: this.period }).catch((e: unknown) => console.error(e));
    }
    if (scheduled) void this.running.then(scheduled.resolve);
  }

  private show(): void {
    for (const [name, tab] of this.tabs) {
      tab.setAttribute('aria-selected', String(name === this.current));
      tab.tabIndex = name === this.current ? 0 : -1;
    }
    const name = this.current;
    this.opts.root.hidden = name === 'map';
    document.body.dataset.view = name;
    if (name === 'map') return;
    const view = this.views[name];
    this.title.textContent = LONG_TITLES[name] ?? TITLES[name];
    this.opts.root.setAttribute('aria-label', `${LONG_TITLES[name] ?? TITLES[name]} analysis`);
    this.actions.replaceChildren(...(name === 'energy' ? [this.energy.download] : []));
    this.body.replaceChildren(view.root);
    this.refresh(true);
  }

  private renderTabs(): void {
    const nav = this.opts.nav;
    nav.setAttribute('role', 'tablist');
    nav.setAttribute('aria-label', 'Views');
    for (const name of VIEWS) {
      const tab = el('button', 'tab', TITLES[name]);
      tab.type = 'button';
      tab.id = `tab-${name}`;
      tab.setAttribute('role', 'tab');
      if (name !== 'map') tab.setAttribute('aria-controls', this.opts.root.id);
      tab.addEventListener('click', () => this.setView(name));
      tab.addEventListener('keydown', (e) => {
        const i = VIEWS.indexOf(name);
        const next = e.key === 'ArrowRight' ? VIEWS[(i + 1) % VIEWS.length] : e.key === 'ArrowLeft' ? VIEWS[(i + VIEWS.length - 1) % VIEWS.length] : null;
        if (next) {
          e.preventDefault();
          this.setView(next, true);
        }
      });
      this.tabs.set(name, tab);
      nav.append(tab);
    }
  }
}
