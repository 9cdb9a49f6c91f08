/**
 * The alert-rule measurement (bench step `rules`) on a short window: a few links and buildings, two weeks of
 * history, one day scored. It checks what the step computes, not how long it takes.
 */
import { describe, expect, it } from 'vitest';
import type { AlertEvent } from '@cityhub/contracts';
import type { Incident } from '@cityhub/simulator';
import { scoreRule, spansOf } from '../bench/lib/rule-score.js';
import { measureRules, renderRules, RULE_SETS } from '../bench/steps/rules.js';

const MIN = 60_000;
const ev = (alert: string, state: AlertEvent['state'], at: number, asset = 'L1'): AlertEvent =>
  ({ id: `${alert}:${state}`, alert, rule: 'r', kind: 'traffic', asset, severity: 'warning', state, at, value: null, message: '', by: null });

describe('scoring alerts against known incidents', () => {
  it('counts an incident detected by an alert opened from its start to 15 minutes after its end, and an alert overlapping no incident as false', () => {
    const t0 = Date.UTC(2026, 10, 16);
    const inc: Incident = { link: 'L1', origin: 'L1', start: t0 + 60 * MIN, end: t0 + 90 * MIN, severity: 0.5 };
    const spill: Incident = { link: 'L2', origin: 'L1', start: t0 + 65 * MIN, end: t0 + 95 * MIN, severity: 0.25 };
    const missed: Incident = { link: 'L1', origin: 'L1', start: t0 + 300 * MIN, end: t0 + 320 * MIN, severity: 0.3 };
    const events = [
      ev('a', 'opened', t0 + 10 * MIN), ev('a', 'cleared', t0 + 20 * MIN), // rush hour: false
      ev('b', 'opened', t0 + 72 * MIN), ev('b', 'cleared', t0 + 100 * MIN), // detects `inc` after 12 min
      ev('c', 'opened', t0 + 80 * MIN, 'L2'), // spill-back: true, not an incident to detect
    ];
    const s = scoreRule('r', spansOf(events, 'r', t0 + 86_400_000), new Map([['L1', [inc, missed]], ['L2', [spill]]]), t0, t0 + 86_400_000);
    expect(s).toMatchObject({ alerts: 3, alertsPerDay: 3, falseAlerts: 1, incidents: 2, detected: 1, share: 0.5, delayMedianMin: 12 });
  });
});

describe('measureRules on a short window', () => {
  it('scores both rule sets from one run of the real engine on a real DuckDB store', async () => {
    const r = await measureRules({ links: 12, buildings: 3, days: 1, historyWeeks: 2, historyStepMs: 15 * MIN, stepMs: 2 * MIN });
    expect(r.sets.map((s) => s.name)).toEqual(RULE_SETS.map((s) => s.name));
    expect(r.sets.map((s) => s.rules.map((x) => x.rule))).toEqual(RULE_SETS.map((s) => s.rules.map((x) => x.id)));
    expect(r.readings).toBe(15 * (86_400_000 / (2 * MIN)));
    expect(r.historyPoints).toBe(15 * 14 * 96);
    const usual = r.sets[1]!.rules.find((x) => x.rule === 'congestion-usual')!;
    const fixed = r.sets[0]!.rules.find((x) => x.rule === 'congestion')!;
    // The same incidents are scored for both.
    expect(usual.incidents).toBe(fixed.incidents);
    expect(renderRules(r).join('\n')).toContain('| relative | `congestion-usual` |');
    // Deterministic: the same seed gives the same alerts.
    const again = await measureRules({ links: 12, buildings: 3, days: 1, historyWeeks: 2, historyStepMs: 15 * MIN, stepMs: 2 * MIN });
    expect(again.sets).toEqual(r.sets);
  });
});
