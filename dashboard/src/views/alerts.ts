import { alertsForPeriod, openAt, SEVERITY_RANK } from '../model/alerts.js';
import type { AlertView } from '../model/alerts.js';
import { city } from '../time/city.js';
import { button, el } from '../ui/dom.js';
import { PERIODS } from '../time/time-query.js';
import { AckDialog } from './ack-dialog.js';
import { SortableTable } from './table.js';
import type { Column } from './table.js';
import type { AnalysisView, ViewContext, ViewDeps } from './view.js';

type AlertKey = 'asset' | 'severity' | 'rule' | 'opened' | 'state';

/** What the alerts view shows now, for the test hook: its rows in order, and whether the list has loaded. */
export interface AlertsData { state: 'loading' | 'ready' | 'error'; rows: AlertView[] }

const SEVERITY_TEXT = { critical: 'Critical', warning: 'Warning', info: 'Info' } as const;

/** An alert's state in words: `Open`, `Acknowledged by ops-1`, `Cleared Tue 4 Nov, 08:15`. */
export function stateText(a: AlertView): string {
  if (a.status === 'cleared') return `Cleared ${a.cleared_at ? city().format(Date.parse(a.cleared_at)) : ''}`.trim();
  if (a.status === 'acknowledged') return `Acknowledged by ${a.acknowledged_by ?? 'an operator'}`;
  return 'Open';
}

/** Who acknowledged, and their comment, under the state: for a cleared alert both, for an acknowledged one the comment. */
export function ackNote(a: AlertView): string | null {
  if (!a.acknowledged_at) return null;
  const comment = a.acknowledged_comment ?? null;
  if (a.status === 'cleared') return `Acknowledged by ${a.acknowledged_by ?? 'an operator'}${comment ? `: ${comment}` : ''}`;
  return comment;
}

/**
 * The alerts open and recent over the period ending at the dashboard's moment, kept current by the live socket.
 * A signed-in operator (or admin) acknowledges an alert, open or cleared, with a comment; others see no button.
 * A row selects its asset.
 */
export class AlertsView implements AnalysisView {
  readonly root = el('div', 'view view-alerts');
  private readonly heading = el('h3', undefined, 'Open and recent alerts');
  private readonly status = el('p', 'status-line');
  private readonly retry: HTMLButtonElement;
  private readonly table: SortableTable<AlertView, AlertKey>;
  private sort: { key: AlertKey; ascending: boolean } = { key: 'state', ascending: true };
  private ctx: ViewContext | null = null;
  private rows: AlertView[] = [];
  private readonly ack: AckDialog;

  constructor(private readonly deps: ViewDeps) {
    const book = deps.alerts;
    this.ack = new AckDialog(deps.session, (ev) => book.apply(ev));
    this.heading.id = 'alerts-heading';
    this.status.setAttribute('role', 'status');
    this.retry = button('Try again', 'action', () => deps.reloadAlerts());
    this.retry.hidden = true;
    const cols: Column<AlertView, AlertKey>[] = [
      { header: 'Asset', key: 'asset', cell: (a) => this.assetName(a.asset) },
      { header: 'Severity', key: 'severity', cell: (a) => el('span', `badge severity severity-${a.severity}`, SEVERITY_TEXT[a.severity]) },
      {
        header: 'Rule', key: 'rule', cell: (a) => {
          const box = el('span', 'alert-rule', book.ruleName(a.rule));
          box.append(el('span', 'alert-message', a.message));
          return box;
        },
      },
      { header: 'Opened', key: 'opened', cell: (a) => city().format(Date.parse(a.opened_at)), title: 'Device time of the reading that opened it, Thessaloniki time' },
      { header: 'State', key: 'state', cell: (a) => this.stateCell(a) },
      { header: '', cell: (a) => this.ackCell(a) },
    ];
    this.table = new SortableTable('Open and recent alerts', cols, this.sort, (key, ascending) => {
      this.sort = { key, ascending };
      this.render();
    }, {
      label: (a) => `${this.assetName(a.asset)}: show on the map`,
      run: (a) => deps.openAsset(a.asset),
      wholeRow: true,
      enabled: (a) => deps.assets.find(a.asset) !== undefined,
    });
    this.table.root.setAttribute('aria-describedby', 'alerts-heading');
    const card = el('section', 'card card-full');
    card.setAttribute('aria-labelledby', 'alerts-heading');
    const statusRow = el('div', 'status-row');
    statusRow.append(this.status, this.retry);
    const scroll = el('div', 'table-scroll');
    scroll.append(this.table.root);
    card.append(this.heading, statusRow, scroll,
      el('p', 'note', 'Opened and cleared by the hub\'s alert rules as readings arrive. An operator signed in acknowledges an alert, open or cleared, with a comment.'));
    this.root.append(card);
    book.onChange(() => this.draw());
    deps.session.onChange(() => this.render());
  }

  private stateCell(a: AlertView): HTMLElement {
    const box = el('span', 'alert-state-box');
    box.append(el('span', `badge alert-state alert-${a.status}`, stateText(a)));
    const note = ackNote(a);
    if (note) box.append(el('span', 'alert-ack', note));
    return box;
  }

  /** "Acknowledge", for an operator signed in, on an alert not yet acknowledged. */
  private ackCell(a: AlertView): string | HTMLElement {
    if (!this.deps.session.canAcknowledge() || a.acknowledged_at) return '';
    const what = `${this.assetName(a.asset)}: ${this.deps.alerts.ruleName(a.rule)} (${stateText(a)})`;
    return button('Acknowledge', 'action ack-button', () => this.ack.open(a.id, what), `Acknowledge ${what}`);
  }

  data(): AlertsData {
    const s = this.deps.alerts.status.state;
    return { state: s, rows: this.rows };
  }

  async update(ctx: ViewContext): Promise<void> {
    this.ctx = ctx;
    this.draw();
  }

  private assetName(id: string): string {
    return this.deps.assets.find(id)?.properties.name ?? id;
  }

  private draw(): void {
    const ctx = this.ctx;
    if (!ctx) return;
    const book = this.deps.alerts;
    const s = book.status;
    const spanMs = PERIODS[ctx.period].spanMs;
    this.rows = alertsForPeriod(book.all(), ctx.t, spanMs, ctx.live);
    this.retry.hidden = s.state !== 'error';
    if (s.state === 'loading') this.table.root.setAttribute('aria-busy', 'true');
    else this.table.root.removeAttribute('aria-busy');
    if (s.state === 'loading') this.status.textContent = 'Loading alerts…';
    else if (s.state === 'error') this.status.textContent = `Could not load the alerts: ${s.message}. New alerts still arrive live.`;
    else {
      const active = this.rows.filter((a) => (ctx.live ? a.status !== 'cleared' : openAt(a, ctx.t)));
      const acked = active.filter((a) => a.status === 'acknowledged').length;
      const when = ctx.live ? 'now' : `at ${city().format(ctx.t)}`;
      const span = ctx.live ? `the last ${PERIODS[ctx.period].label}` : `the ${PERIODS[ctx.period].label} to ${city().format(ctx.t)}`;
      const rest = this.rows.length - active.length;
      this.status.textContent = this.rows.length === 0
        ? `No alert open ${when} or in ${span}.`
        : `${active.length} open ${when}${acked ? ` (${acked} acknowledged)` : ''}; ${rest} more ${rest === 1 ? 'was' : 'were'} open in ${span}.`;
    }
    this.render();
  }

  private render(): void {
    const ctx = this.ctx;
    if (!ctx) return;
    const { key, ascending } = this.sort;
    const dir = ascending ? 1 : -1;
    const active = (a: AlertView) => (ctx.live ? a.status !== 'cleared' : openAt(a, ctx.t));
    const newest = (a: AlertView, b: AlertView) => b.opened_at.localeCompare(a.opened_at);
    const by: Record<AlertKey, (a: AlertView, b: AlertView) => number> = {
      asset: (a, b) => this.assetName(a.asset).localeCompare(this.assetName(b.asset)),
      severity: (a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity],
      rule: (a, b) => this.deps.alerts.ruleName(a.rule).localeCompare(this.deps.alerts.ruleName(b.rule)),
      opened: (a, b) => a.opened_at.localeCompare(b.opened_at),
      // Ascending "state" is the list's natural order: what is open first, the most severe first among them.
      state: (a, b) => Number(active(b)) - Number(active(a)) || SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity],
    };
    this.rows = [...this.rows].sort((a, b) => by[key](a, b) * dir || newest(a, b) || a.id.localeCompare(b.id));
    this.table.render(this.rows, (a) => a.id, (a) => (active(a) ? `alert-row alert-active severity-row-${a.severity}` : 'alert-row alert-past'));
  }
}
