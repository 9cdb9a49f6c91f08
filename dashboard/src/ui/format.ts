/** Units and labels of each metric, for tooltips, the panel and chart axes. */
export const METRIC_INFO: Readonly<Record<string, { label: string; unit: string; digits: number }>> = {
  speed_kmh: { label: 'Speed', unit: 'km/h', digits: 0 },
  travel_time_s: { label: 'Travel time', unit: 's', digits: 0 },
  flow_veh_h: { label: 'Flow', unit: 'veh/h', digits: 0 },
  occupancy_pct: { label: 'Occupancy', unit: '%', digits: 0 },
  clients: { label: 'Clients', unit: '', digits: 0 },
  rx_kbps: { label: 'Download', unit: 'kbit/s', digits: 0 },
  tx_kbps: { label: 'Upload', unit: 'kbit/s', digits: 0 },
  power_kw: { label: 'Power', unit: 'kW', digits: 1 },
  energy_kwh: { label: 'Energy (meter)', unit: 'kWh', digits: 0 },
};

const numberFormats = new Map<number, Intl.NumberFormat>();
function numberFormat(digits: number): Intl.NumberFormat {
  let f = numberFormats.get(digits);
  if (!f) {
    f = new Intl.NumberFormat('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits });
    numberFormats.set(digits, f);
  }
  return f;
}

/** A metric's value with its unit, e.g. `42 km/h`, `1,200 kbit/s`, `120.5 kW`. */
export function formatValue(metric: string, value: number): string {
  const info = METRIC_INFO[metric];
  const text = numberFormat(info?.digits ?? 2).format(value);
  return info?.unit ? `${text} ${info.unit}` : text;
}

/** A metric's human label, or the metric name itself when unknown. */
export function metricLabel(metric: string): string {
  return METRIC_INFO[metric]?.label ?? metric;
}

/** How long ago `iso` was relative to `now` (ms), coarsely: `12 s ago`, `3 min ago`, `2 h ago`. */
export function formatAge(iso: string, now: number): string {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? formatAgeMs(t, now) : iso;
}

/** How long before `now` the moment `t` (both epoch ms) was, coarsely. */
export function formatAgeMs(t: number, now: number): string {
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

const pct = new Intl.NumberFormat('en-GB', { style: 'percent', maximumFractionDigits: 0 });
const signedPct = new Intl.NumberFormat('en-GB', { style: 'percent', maximumFractionDigits: 1, signDisplay: 'exceptZero' });

/** A share as a percentage (`0.375` → `38%`), or a dash. */
export function formatPct(v: number | null | undefined): string {
  return v === null || v === undefined ? '–' : pct.format(v);
}

/** A change as a signed percentage (`0.1` → `+10%`), or a dash. */
export function formatChange(v: number | null | undefined): string {
  return v === null || v === undefined ? '–' : signedPct.format(v);
}

const fixed = new Map<number, Intl.NumberFormat>();
/** A number with `digits` decimals and grouping, or a dash. */
export function formatNumber(v: number | null | undefined, digits = 0): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  let f = fixed.get(digits);
  if (!f) {
    f = new Intl.NumberFormat('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits });
    fixed.set(digits, f);
  }
  return f.format(v);
}
