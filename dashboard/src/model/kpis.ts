import type { Kpi } from '@cityhub/contracts';
import { city } from '../time/city.js';
import { formatNumber } from '../ui/format.js';

/** `GET /api/v1/kpis` and one of its KPIs, checked with the API's own schema. */
export { Kpi, KpiList } from '@cityhub/contracts';

/** How many decimals each unit is shown with (a ratio as a percentage). */
export const KPI_DIGITS: Readonly<Record<string, number>> = { ratio: 1, 'km/h': 1, 'client-h': 0, 'kWh/m²': 3 };

/** A KPI's number with its unit (`23.4%`, `31.2 km/h`, `4,812 client-h`, `0.412 kWh/m²`); "no data" for null, never 0. */
export function formatKpiValue(v: number | null, unit: string): string {
  if (v === null || !Number.isFinite(v)) return 'no data';
  const digits = KPI_DIGITS[unit] ?? 2;
  if (unit === 'ratio') return `${formatNumber(v * 100, digits)}%`;
  return `${formatNumber(v, digits)}${unit ? ` ${unit}` : ''}`;
}

/**
 * Whether the KPI has a target to be judged by. The API gives a KPI without one (energy with no earlier period
 * to set it from) a target of 0 and `met: null`, which cannot be told apart from "no data" by `met` alone.
 */
export function hasTarget(k: Kpi): boolean {
  if (k.met !== null) return true;
  return k.value === null && !(k.target === 0 && k.previous === null);
}

/** The target as a condition: `≤ 25.0%`, `≥ 30.0 km/h`, or "none yet". */
export function formatTarget(k: Kpi): string {
  return hasTarget(k) ? `${k.direction === 'below' ? '≤' : '≥'} ${formatKpiValue(k.target, k.unit)}` : 'none yet';
}

/** A KPI's standing against its target, as words (the colour only repeats them). */
export type KpiStanding = 'met' | 'not-met' | 'no-data' | 'no-target';

export function standingOf(k: Kpi): KpiStanding {
  if (k.value === null) return 'no-data';
  if (k.met === null) return 'no-target';
  return k.met ? 'met' : 'not-met';
}

export const STANDING_TEXT: Readonly<Record<KpiStanding, string>> = {
  met: '✓ Met', 'not-met': '✗ Not met', 'no-data': 'No data', 'no-target': 'No target yet',
};

/** The trend against the comparison period: arrow, signed change, better or worse, and against what. */
export interface KpiTrend {
  arrow: '▲' | '▼' | '▶' | '';
  change: string;
  /** Better or worse for this KPI (a falling congestion index is better, a falling speed worse). */
  verdict: 'better' | 'worse' | 'unchanged' | null;
  /** `vs the period before: 21.3%`. */
  against: string;
}

const ISO_INSTANT = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z/g;
/** A change below this (0.05 %) shows as none: "▲ +0.0% worse" would say more than the numbers do. */
export const NO_CHANGE = 0.0005;
const changeFormat = new Intl.NumberFormat('en-GB', { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1, signDisplay: 'always' });

/**
 * The trend against the comparison period. The API's wording may name a moment in UTC: it is shown in the city's
 * time, like every other time on the page. A comparison that has nothing to compare with says only that.
 */
export function trendOf(k: Kpi): KpiTrend {
  const wording = k.compared_with.replace(ISO_INSTANT, (iso) => city().format(Date.parse(iso)));
  const against = k.previous === null && !wording.startsWith('the ')
    ? wording.charAt(0).toUpperCase() + wording.slice(1)
    : `vs ${wording}: ${formatKpiValue(k.previous, k.unit)}`;
  if (k.change === null) return { arrow: '', change: '–', verdict: null, against };
  if (Math.abs(k.change) < NO_CHANGE) return { arrow: '▶', change: '0.0%', verdict: 'unchanged', against };
  const verdict = (k.change > 0) === (k.direction === 'above') ? 'better' : 'worse';
  return { arrow: k.change > 0 ? '▲' : '▼', change: changeFormat.format(k.change), verdict, against };
}
