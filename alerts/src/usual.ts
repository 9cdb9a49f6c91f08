import type { Rule } from '@cityhub/contracts';

type UsualRule = Extract<Rule, { type: 'usual' }>;

/** How a metric reads in a message: its name and unit. */
const WORDS: Record<string, { noun: string; unit: string }> = {
  speed_kmh: { noun: 'speed', unit: 'km/h' },
  travel_time_s: { noun: 'travel time', unit: 's' },
  flow_veh_h: { noun: 'flow', unit: 'veh/h' },
  occupancy_pct: { noun: 'occupancy', unit: '%' },
  clients: { noun: 'clients', unit: 'clients' },
  rx_kbps: { noun: 'download', unit: 'kbit/s' },
  tx_kbps: { noun: 'upload', unit: 'kbit/s' },
  power_kw: { noun: 'power', unit: 'kW' },
  energy_kwh: { noun: 'energy', unit: 'kWh' },
};

const num = (x: number): string => String(Math.abs(x) >= 10 ? Math.round(x) : +x.toFixed(1));
const duration = (s: number): string => (s >= 60 ? `${Math.round(s / 60)} min` : `${Math.round(s)} s`);

/** "40 % slower than usual" (speed), else "power 50 % above usual". */
export function usualPhrase(rule: Pick<UsualRule, 'metric' | 'op' | 'share'>): string {
  const pct = Math.round(Math.abs(1 - rule.share) * 100);
  if (rule.metric === 'speed_kmh') return `${pct} % ${rule.op === 'below' ? 'slower' : 'faster'} than usual`;
  return `${WORDS[rule.metric]?.noun ?? rule.metric} ${pct} % ${rule.op} usual`;
}

/** "21 km/h, usually 35 km/h now". */
function valueAndUsual(metric: string, v: number, usual: number): string {
  const unit = WORDS[metric]?.unit ?? '';
  return `${num(v)} ${unit}, usually ${num(usual)} ${unit} now`.replace(/ {2}/g, ' ');
}

/** What one reading means to a usual rule, with the messages a person reads. */
export interface UsualStep {
  held: boolean;
  cleared: boolean;
  /** For the cleared message. */
  what: string;
  /** The opened message, given how long the condition has held (ms). */
  opened: (heldMs: number) => string;
}

/** True when the local hour is one the rule watches. */
export function inRuleHours(rule: Pick<UsualRule, 'from_hour' | 'to_hour'>, hour: number): boolean {
  return rule.from_hour === undefined || rule.to_hour === undefined || (hour >= rule.from_hour && hour < rule.to_hour);
}

/**
 * A reading `v` against the asset's usual value `usual` now: it holds beyond share × usual and clears past the
 * hysteresis, as a threshold rule's condition does. "Egnatia (…) 40 % slower than usual for 10 min: 21 km/h,
 * usually 35 km/h now".
 */
export function usualStep(rule: UsualRule, assetName: string, v: number, usual: number): UsualStep {
  const t = usual * rule.share;
  const below = rule.op === 'below';
  const now = valueAndUsual(rule.metric, v, usual);
  return {
    held: below ? v < t : v > t,
    cleared: below ? v > t * (1 + rule.clear_hysteresis) : v < t * (1 - rule.clear_hysteresis),
    what: `${assetName} ${WORDS[rule.metric]?.noun ?? rule.metric} ${now}`,
    opened: (heldMs) => `${assetName} ${usualPhrase(rule)} for ${duration(heldMs / 1000)}: ${now}`,
  };
}
