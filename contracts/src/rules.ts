import { z } from 'zod';
import { Kind, METRICS } from './kinds.js';

export const Severity = z.enum(['info', 'warning', 'critical']);
export type Severity = z.infer<typeof Severity>;

const id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lower-case letters, digits and dashes');
const seconds = z.number().int().min(0).max(7 * 86_400);
const base = {
  id,
  name: z.string().min(1).max(200),
  severity: Severity,
  enabled: z.boolean().default(true),
  /** One asset; every asset of the kind when absent. */
  asset: z.string().min(1).optional(),
};
/** A metric of the rule's kind above or below something. */
const metricCondition = { kind: Kind, metric: z.string(), op: z.enum(['above', 'below']) };

/**
 * A metric above or below a threshold for a duration: a fixed `value`, or `factor` × an attribute of the
 * asset (`free_flow_kmh` of a link, `power_limit_kw` of a building, `capacity` of a hotspot). It clears
 * with hysteresis: a `below` alert clears above threshold × (1 + clear_hysteresis), an `above` one below
 * threshold × (1 − clear_hysteresis).
 */
export const ThresholdRule = z.strictObject({
  ...base,
  type: z.literal('threshold'),
  ...metricCondition,
  value: z.number().optional(),
  relative_to: z.enum(['free_flow_kmh', 'power_limit_kw', 'capacity']).optional(),
  factor: z.number().positive().max(100).optional(),
  for_s: seconds,
  clear_hysteresis: z.number().min(0).max(1).default(0.1),
});
/** A device that went dark: its last will said offline, or no reading came for `silence_s`. */
export const OfflineRule = z.strictObject({ ...base, type: z.literal('offline'), kind: Kind, silence_s: seconds.min(10) });
/**
 * Night baseload of a building: power in the night hours (Europe/Athens) above `share` of the previous
 * day's peak, for a duration. Clears when it falls below share × (1 − clear_hysteresis), or at daybreak.
 */
export const BaseloadRule = z.strictObject({
  ...base,
  type: z.literal('baseload'),
  kind: z.literal('energy'),
  metric: z.literal('power_kw'),
  night_from_hour: z.number().int().min(0).max(23).default(0),
  night_to_hour: z.number().int().min(1).max(24).default(5),
  share: z.number().positive().max(1),
  for_s: seconds,
  clear_hysteresis: z.number().min(0).max(1).default(0.1),
});

/**
 * A metric against the asset's usual value for this hour of the week: above or below `share` × the usual
 * for a duration ("40 % slower than usual for 10 min" is `op: below, share: 0.6, for_s: 600`). The usual
 * is the median, over the last `weeks` weeks, of the asset's hourly means at the same local hour of the
 * week (from the 1 h rollups); with fewer than two such weeks, the median of the same local hour over the
 * last 7 days; without either the rule stays quiet for that asset. `from_hour`/`to_hour` limit it to local
 * hours (e.g. the night). It clears with hysteresis as a threshold rule does.
 */
export const UsualRule = z.strictObject({
  ...base,
  type: z.literal('usual'),
  ...metricCondition,
  share: z.number().positive().max(100),
  for_s: seconds,
  weeks: z.number().int().min(1).max(12).default(4),
  from_hour: z.number().int().min(0).max(23).optional(),
  to_hour: z.number().int().min(1).max(24).optional(),
  clear_hysteresis: z.number().min(0).max(1).default(0.1),
}).describe('A metric above or below a share of the asset\'s usual value for this hour of the week (median of the last `weeks` weeks of hourly means), for a duration; quiet while the asset has no such history.');

export const Rule = z.discriminatedUnion('type', [ThresholdRule, OfflineRule, BaseloadRule, UsualRule]).superRefine((r, ctx) => {
  if (r.type === 'threshold' || r.type === 'usual') {
    if (!(METRICS[r.kind] as readonly string[]).includes(r.metric)) {
      ctx.addIssue({ code: 'custom', path: ['metric'], message: `${r.kind} metrics are ${METRICS[r.kind].join(', ')}` });
    }
  }
  if (r.type === 'usual') {
    if ((r.from_hour === undefined) !== (r.to_hour === undefined)) ctx.addIssue({ code: 'custom', path: ['to_hour'], message: 'give both from_hour and to_hour, or neither' });
    else if (r.from_hour !== undefined && r.to_hour! <= r.from_hour) ctx.addIssue({ code: 'custom', path: ['to_hour'], message: 'the hours must end after they start' });
    if (r.op === 'below' && r.share >= 1) ctx.addIssue({ code: 'custom', path: ['share'], message: 'below the usual needs a share under 1' });
    if (r.op === 'above' && r.share <= 1) ctx.addIssue({ code: 'custom', path: ['share'], message: 'above the usual needs a share over 1' });
  }
  if (r.type === 'threshold') {
    if ((r.value === undefined) === (r.relative_to === undefined)) ctx.addIssue({ code: 'custom', path: ['value'], message: 'give either value or relative_to with factor' });
    if (r.relative_to !== undefined && r.factor === undefined) ctx.addIssue({ code: 'custom', path: ['factor'], message: 'relative_to needs a factor' });
  }
  if (r.type === 'baseload' && r.night_to_hour <= r.night_from_hour) ctx.addIssue({ code: 'custom', path: ['night_to_hour'], message: 'the night must end after it starts' });
});
export type Rule = z.infer<typeof Rule>;

/** Where alerts are sent: webhooks (signed per Standard Webhooks, see alerts/src/notifier.ts) and e-mail. */
export const Notify = z.strictObject({
  webhooks: z.array(z.strictObject({ url: z.url(), secret: z.string().min(16), min_severity: Severity.default('info') })).max(20).default([]),
  email: z.strictObject({ to: z.array(z.email()).min(1).max(50), min_severity: Severity.default('warning') }).optional(),
});
export type Notify = z.infer<typeof Notify>;

/** The rules file (`<data dir>/rules.json`) and the body of `PUT /api/v1/rules`. */
export const RuleSet = z.strictObject({ rules: z.array(Rule).max(500), notify: Notify.default({ webhooks: [] }) }).superRefine((s, ctx) => {
  const seen = new Set<string>();
  s.rules.forEach((r, i) => {
    if (seen.has(r.id)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: `duplicate rule id ${r.id}` });
    seen.add(r.id);
  });
});
export type RuleSet = z.infer<typeof RuleSet>;

/**
 * Today's fixed rules, kept available: congestion below 40 % of free-flow speed for 5 minutes, a hotspot offline,
 * building power above its limit, night baseload above half of the previous day's peak.
 */
export const FIXED_RULES: Rule[] = [
  { id: 'congestion', name: 'Congestion: speed below 40 % of free-flow for 5 minutes', severity: 'warning', enabled: true, type: 'threshold', kind: 'traffic', metric: 'speed_kmh', op: 'below', relative_to: 'free_flow_kmh', factor: 0.4, for_s: 300, clear_hysteresis: 0.25 },
  { id: 'hotspot-offline', name: 'Wi-Fi hotspot offline (last will, or silent for 15 minutes)', severity: 'warning', enabled: true, type: 'offline', kind: 'wifi', silence_s: 900 },
  { id: 'building-power', name: 'Building power above its limit for 5 minutes', severity: 'critical', enabled: true, type: 'threshold', kind: 'energy', metric: 'power_kw', op: 'above', relative_to: 'power_limit_kw', factor: 1, for_s: 300, clear_hysteresis: 0.1 },
  { id: 'night-baseload', name: 'Night baseload above 50 % of the previous day\'s peak for 30 minutes', severity: 'info', enabled: true, type: 'baseload', kind: 'energy', metric: 'power_kw', night_from_hour: 0, night_to_hour: 5, share: 0.5, for_s: 1_800, clear_hysteresis: 0.1 },
];

/**
 * Rules relative to the usual, the alternatives to the fixed congestion and night-baseload rules: congestion
 * 40 % slower than usual for 5 minutes, night power (00:00–05:00) 50 % above its usual for 30 minutes.
 */
export const USUAL_RULES: Rule[] = [
  { id: 'congestion-usual', name: 'Congestion: 40 % slower than usual for 5 minutes', severity: 'warning', enabled: true, type: 'usual', kind: 'traffic', metric: 'speed_kmh', op: 'below', share: 0.6, for_s: 300, weeks: 4, clear_hysteresis: 0.25 },
  { id: 'night-usual', name: 'Night power 50 % above its usual for 30 minutes', severity: 'info', enabled: true, type: 'usual', kind: 'energy', metric: 'power_kw', op: 'above', share: 1.5, for_s: 1_800, weeks: 4, from_hour: 0, to_hour: 5, clear_hysteresis: 0.1 },
];

/**
 * The built-in rules a new hub starts with: congestion relative to the usual (measured on the simulated city,
 * README "Alerts and KPIs": fewer false alerts than the fixed rule, more incidents found), then the fixed rules for
 * hotspots, power limits and night baseload (which finds a building that wastes every night; a rule relative to
 * its own usual cannot).
 */
export const DEFAULT_RULES: Rule[] = [USUAL_RULES[0]!, ...FIXED_RULES.filter((r) => r.id !== 'congestion')];

/** One entry of the alert log: an alert was opened, acknowledged or cleared. */
export const AlertEvent = z.object({
  /** Unique per event; an alert's events share `alert`. */
  id: z.string(),
  alert: z.string(),
  rule: z.string(),
  kind: Kind,
  asset: z.string(),
  severity: Severity,
  state: z.enum(['opened', 'acknowledged', 'cleared']),
  /** Epoch ms. */
  at: z.number(),
  /** The reading's value that opened or cleared it, when there is one. */
  value: z.number().nullable(),
  message: z.string(),
  /** Who acknowledged (token id). */
  by: z.string().nullable(),
});
export type AlertEvent = z.infer<typeof AlertEvent>;

/** One delivery of one alert event to one notification target, as operators see it. */
export const Delivery = z.object({
  id: z.string(),
  /** The alert event's id. */
  event: z.string(),
  target: z.string(),
  channel: z.enum(['webhook', 'email']),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number(),
  last_error: z.string().nullable(),
  /** Epoch ms of the last change. */
  updated: z.number(),
});
export type Delivery = z.infer<typeof Delivery>;
