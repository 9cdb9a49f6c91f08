/** How well a rule's alerts match the simulated city's known incidents. */
import type { AlertEvent } from '@cityhub/contracts';
import type { Incident } from '@cityhub/simulator';
import { INCIDENT_CLEAR_MS } from './rule-city.js';
import { quantile } from './stats.js';

/** An incident counts as detected by an alert opened on its link from its start to its end + this. */
export const DETECTION_GRACE_MS = 15 * 60_000;

/** One alert: when it opened and when it cleared (the end of the evaluation when it did not). */
export interface AlertSpan { asset: string; opened: number; cleared: number }

/** One rule's score over the evaluation. */
export interface RuleScore {
  rule: string;
  alerts: number;
  alertsPerDay: number;
  /** Alerts overlapping no incident effect on their link (no cut at any time between opening and clearing). */
  falseAlerts: number;
  falsePerDay: number;
  /** False alerts opened in the weekday rush hours (`rush`). */
  falseInRush: number;
  /** Incidents that started on a measured link during the evaluation, and those detected. */
  incidents: number;
  detected: number;
  share: number | null;
  /** Delay from the incident's start to the first alert on its link (minutes). */
  delayMedianMin: number | null;
  delayP90Min: number | null;
  /** Alerts per asset, the most alerted first (at most 5). */
  top: Array<{ asset: string; alerts: number }>;
}

/** Alert spans of one rule from its events (opened, then cleared). */
export function spansOf(events: readonly AlertEvent[], rule: string, end: number): AlertSpan[] {
  const open = new Map<string, AlertSpan>();
  const out: AlertSpan[] = [];
  for (const e of events) {
    if (e.rule !== rule) continue;
    if (e.state === 'opened') {
      const s = { asset: e.asset, opened: e.at, cleared: end };
      open.set(e.alert, s);
      out.push(s);
    } else if (e.state === 'cleared') {
      const s = open.get(e.alert);
      if (s) s.cleared = e.at;
    }
  }
  return out;
}

const overlaps = (s: AlertSpan, i: Incident): boolean => s.opened <= i.end + INCIDENT_CLEAR_MS && s.cleared >= i.start;

/**
 * Scores one rule's alerts against the known incidents: `effects` are every incident effect per link (own and
 * spill-back, which make an alert true), and the incidents to detect are those that started on their own link
 * (`origin === link`) within [from, to).
 */
export function scoreRule(rule: string, spans: readonly AlertSpan[], effects: ReadonlyMap<string, readonly Incident[]>,
  from: number, to: number, rush: (ts: number) => boolean = () => false): RuleScore {
  const days = (to - from) / 86_400_000;
  const falses = spans.filter((s) => !(effects.get(s.asset) ?? []).some((i) => overlaps(s, i)));
  const falseAlerts = falses.length;
  const delays: number[] = [];
  let incidents = 0;
  const byAsset = new Map<string, AlertSpan[]>();
  for (const s of spans) byAsset.set(s.asset, [...(byAsset.get(s.asset) ?? []), s]);
  for (const [link, list] of effects) {
    for (const i of list) {
      if (i.origin !== link || i.start < from || i.start >= to) continue;
      incidents++;
      const first = (byAsset.get(link) ?? []).find((s) => s.opened >= i.start && s.opened <= i.end + DETECTION_GRACE_MS);
      if (first) delays.push((first.opened - i.start) / 60_000);
    }
  }
  delays.sort((a, b) => a - b);
  const top = [...byAsset].map(([asset, l]) => ({ asset, alerts: l.length })).sort((a, b) => b.alerts - a.alerts || a.asset.localeCompare(b.asset)).slice(0, 5);
  return {
    rule, alerts: spans.length, alertsPerDay: spans.length / days, falseAlerts, falsePerDay: falseAlerts / days, falseInRush: falses.filter((s) => rush(s.opened)).length,
    incidents, detected: delays.length, share: incidents ? delays.length / incidents : null,
    delayMedianMin: delays.length ? quantile(delays, 0.5) : null, delayP90Min: delays.length ? quantile(delays, 0.9) : null, top,
  };
}
