import { ackCommentOf, type AlertEvent, type AlertView, type Severity } from '@cityhub/contracts';

/** An alert's state: open, acknowledged by an operator (still open), or cleared. */
export type AlertStatus = AlertView['status'];

/** `GET /api/v1/alerts` and one of its alerts, checked with the API's own schema. */
export { AlertList, AlertView } from '@cityhub/contracts';

/** Severities, least to most severe. */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { info: 1, warning: 2, critical: 3 };
const STATUS_RANK: Readonly<Record<AlertStatus, number>> = { open: 0, acknowledged: 1, cleared: 2 };

/** Newer of two records of one alert: status only moves forward (open → acknowledged → cleared). */
function later(a: AlertView, b: AlertView): AlertView {
  const [old, next] = STATUS_RANK[b.status] >= STATUS_RANK[a.status] ? [a, b] : [b, a];
  return {
    ...next,
    acknowledged_at: next.acknowledged_at ?? old.acknowledged_at,
    acknowledged_by: next.acknowledged_by ?? old.acknowledged_by,
    acknowledged_comment: next.acknowledged_comment ?? old.acknowledged_comment ?? null,
    cleared_at: next.cleared_at ?? old.cleared_at,
  };
}

/** Whether an alert was open (opened, not yet cleared) at moment `t` (epoch ms). */
export function openAt(a: AlertView, t: number): boolean {
  return Date.parse(a.opened_at) <= t && (a.cleared_at === null || Date.parse(a.cleared_at) > t);
}

/**
 * The alerts a list over the period [t − spanMs, t] shows: those open at any time in it (still open ones
 * whatever their age). Live, an alert counts as open by its status, as the hub says, not by times. Active ones
 * first, then the most severe, then the newest.
 */
export function alertsForPeriod(all: readonly AlertView[], t: number, spanMs: number, live: boolean): AlertView[] {
  const from = t - spanMs;
  const active = (a: AlertView) => (live ? a.status !== 'cleared' : openAt(a, t));
  return all
    .filter((a) => active(a) || (Date.parse(a.opened_at) <= t && a.cleared_at !== null && Date.parse(a.cleared_at) >= from))
    .sort((a, b) => Number(active(b)) - Number(active(a)) || SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]
      || b.opened_at.localeCompare(a.opened_at) || a.id.localeCompare(b.id));
}

/** How the list is doing: still loading, loaded, or failed (with why). */
export type BookState = { state: 'loading' } | { state: 'ready' } | { state: 'error'; message: string };

/**
 * The alerts the dashboard knows: loaded from `GET /alerts`, then kept current by the live socket's `alert`
 * messages. Both may arrive in any order (a live event before the list that already holds it, or after):
 * merging keeps each alert's furthest status, so the order does not matter.
 */
export class AlertBook {
  private readonly byId = new Map<string, AlertView>();
  private readonly listeners: (() => void)[] = [];
  private names = new Map<string, string>();
  private loadState: BookState = { state: 'loading' };

  /** Whether the list has loaded. */
  get status(): BookState {
    return this.loadState;
  }

  /** Every alert known, newest first. */
  all(): AlertView[] {
    return [...this.byId.values()].sort((a, b) => b.opened_at.localeCompare(a.opened_at));
  }

  /** The alerts open now (live: by status) or at moment `t` in the past (by their times). */
  activeAt(t: number, live: boolean): AlertView[] {
    return this.all().filter((a) => (live ? a.status !== 'cleared' : openAt(a, t)));
  }

  /** How many alerts are open or acknowledged now. */
  openCount(): number {
    let n = 0;
    for (const a of this.byId.values()) if (a.status !== 'cleared') n++;
    return n;
  }

  /** A rule's name, or its id when the rules could not be read. */
  ruleName(id: string): string {
    return this.names.get(id) ?? id;
  }

  /** Calls `cb` after every change. */
  onChange(cb: () => void): void {
    this.listeners.push(cb);
  }

  /** Takes a loaded list (and the rules' names, when read). */
  load(items: readonly AlertView[], names?: Map<string, string>): void {
    if (names) this.names = names;
    for (const a of items) {
      const had = this.byId.get(a.id);
      this.byId.set(a.id, had ? later(had, a) : a);
    }
    this.loadState = { state: 'ready' };
    this.changed();
  }

  /** The list could not be read. What is known stays; the views say why. */
  fail(message: string): void {
    this.loadState = { state: 'error', message };
    this.changed();
  }

  /**
   * Takes one live event. Returns false when it was about an alert this book has never seen opened (it opened
   * before the list's window, or while the socket was down): the caller reloads the list.
   */
  apply(e: AlertEvent): boolean {
    const had = this.byId.get(e.alert);
    const at = new Date(e.at).toISOString();
    if (e.state === 'opened') {
      const opened: AlertView = {
        id: e.alert, rule: e.rule, kind: e.kind, asset: e.asset, severity: e.severity, status: 'open', opened_at: at,
        acknowledged_at: null, acknowledged_by: null, cleared_at: null, message: e.message, value: e.value,
      };
      this.byId.set(e.alert, had ? later(opened, had) : opened);
    } else {
      if (!had) return false;
      const next: AlertView = e.state === 'acknowledged'
        ? { ...had, status: 'acknowledged', acknowledged_at: at, acknowledged_by: e.by, acknowledged_comment: ackCommentOf(e.message, e.by) }
        : { ...had, status: 'cleared', cleared_at: at };
      this.byId.set(e.alert, later(had, next));
    }
    this.changed();
    return true;
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}
