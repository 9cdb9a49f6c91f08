import { describe, expect, it } from 'vitest';
import type { AlertEvent } from '@cityhub/contracts';
import { AlertBook, AlertList, alertsForPeriod, openAt } from './alerts.js';
import type { AlertView } from './alerts.js';

const MIN = 60_000;
const T0 = Date.parse('2026-11-20T08:00:00.000Z');
const iso = (t: number) => new Date(t).toISOString();

function alert(id: string, opened: number, extra: Partial<AlertView> = {}): AlertView {
  return {
    id, rule: 'building-power', kind: 'energy', asset: 'building-rotunda', severity: 'critical', status: 'open', opened_at: iso(opened),
    acknowledged_at: null, acknowledged_by: null, cleared_at: null, message: 'power_kw 374 above 288 for 300 s', value: 374, ...extra,
  };
}
function event(alertId: string, state: AlertEvent['state'], at: number, by: string | null = null): AlertEvent {
  return {
    id: `${alertId}:${state}`, alert: alertId, rule: 'building-power', kind: 'energy', asset: 'building-rotunda', severity: 'critical', state, at,
    value: state === 'acknowledged' ? null : 374, message: state, by,
  };
}

describe('AlertList', () => {
  it('accepts the API\'s list and names what is wrong in one that is not', () => {
    const ok = { items: [alert('a', T0), alert('b', T0, { status: 'cleared', cleared_at: iso(T0 + MIN), value: null })] };
    expect(AlertList.safeParse(ok)).toEqual({ success: true, data: ok });
    const bad = AlertList.safeParse({ items: [alert('a', T0), { ...alert('b', T0), severity: 'fatal' }] });
    expect(bad.success).toBe(false);
    expect(!bad.success && bad.error.message).toMatch(/"items",\s*1,\s*"severity"/);
    expect(AlertList.safeParse({ items: [{ ...alert('a', T0), status: 'closed' }] }).success).toBe(false);
    expect(AlertList.safeParse({}).success).toBe(false);
  });
});

describe('AlertBook', () => {
  it('folds live events into the loaded list, in either order, and only ever moves an alert forward', () => {
    const book = new AlertBook();
    let changes = 0;
    book.onChange(() => changes++);
    expect(book.status.state).toBe('loading');
    // The live "cleared" of an alert the book has never seen: it cannot be placed, the caller must reload.
    expect(book.apply(event('x', 'cleared', T0))).toBe(false);
    expect(book.apply(event('a', 'opened', T0))).toBe(true);
    expect(book.apply(event('a', 'acknowledged', T0 + MIN, 'ops-1'))).toBe(true);
    // The list, read before the acknowledgement, says open: the book keeps "acknowledged".
    book.load([alert('a', T0), alert('b', T0 - 60 * MIN, { status: 'cleared', cleared_at: iso(T0 - 30 * MIN) })], new Map([['building-power', 'Power']]));
    expect(book.status.state).toBe('ready');
    const a = book.all().find((x) => x.id === 'a');
    expect(a).toMatchObject({ status: 'acknowledged', acknowledged_by: 'ops-1', acknowledged_at: iso(T0 + MIN) });
    expect(book.openCount()).toBe(1);
    expect(book.apply(event('a', 'cleared', T0 + 5 * MIN))).toBe(true);
    expect(book.all().find((x) => x.id === 'a')).toMatchObject({ status: 'cleared', cleared_at: iso(T0 + 5 * MIN), acknowledged_by: 'ops-1' });
    // A late "acknowledged" does not reopen it.
    book.apply(event('a', 'acknowledged', T0 + 2 * MIN, 'ops-2'));
    expect(book.all().find((x) => x.id === 'a')?.status).toBe('cleared');
    expect(book.openCount()).toBe(0);
    expect(book.ruleName('building-power')).toBe('Power');
    expect(book.ruleName('congestion')).toBe('congestion');
    expect(changes).toBe(5);
  });

  it('says which alerts were open at a moment, live by their status, in the past by their times', () => {
    const book = new AlertBook();
    book.load([
      alert('old', T0 - 120 * MIN, { status: 'cleared', cleared_at: iso(T0 - 60 * MIN) }),
      alert('now', T0 - 30 * MIN),
    ]);
    expect(book.activeAt(T0, true).map((a) => a.id)).toEqual(['now']);
    expect(book.activeAt(T0 - 90 * MIN, false).map((a) => a.id)).toEqual(['old']);
    expect(book.activeAt(T0 - 60 * MIN, false).map((a) => a.id)).toEqual([]);
    expect(book.activeAt(T0 - 10 * MIN, false).map((a) => a.id)).toEqual(['now']);
    book.fail('HTTP 503');
    expect(book.status).toEqual({ state: 'error', message: 'HTTP 503' });
    expect(book.all()).toHaveLength(2);
  });
});

describe('alertsForPeriod', () => {
  const all = [
    alert('long-open', T0 - 40 * 24 * 60 * MIN, { severity: 'warning' }),
    alert('recent-cleared', T0 - 3 * 60 * MIN, { status: 'cleared', cleared_at: iso(T0 - 2 * 60 * MIN) }),
    alert('old-cleared', T0 - 3 * 24 * 60 * MIN, { status: 'cleared', cleared_at: iso(T0 - 2 * 24 * 60 * MIN) }),
    alert('open-critical', T0 - 10 * MIN),
  ];
  it('lists what is open, whatever its age, then what was open during the period', () => {
    expect(alertsForPeriod(all, T0, 24 * 60 * MIN, true).map((a) => a.id)).toEqual(['open-critical', 'long-open', 'recent-cleared']);
    expect(alertsForPeriod(all, T0, 7 * 24 * 60 * MIN, true).map((a) => a.id)).toEqual(['open-critical', 'long-open', 'recent-cleared', 'old-cleared']);
  });
  it('in the past, by the times: what was open then, and nothing opened after it', () => {
    const t = T0 - 150 * MIN;
    expect(alertsForPeriod(all, t, 24 * 60 * MIN, false).map((a) => a.id)).toEqual(['recent-cleared', 'long-open']);
    expect(openAt(all[1]!, t)).toBe(true);
    expect(openAt(all[1]!, T0 - 2 * 60 * MIN)).toBe(false);
  });
});
