/** A figure measured over repeated runs: the median and its spread. */
export interface Figure {
  median: number;
  min: number;
  max: number;
  /** Interquartile range (25th and 75th percentiles, linear interpolation). */
  q1: number;
  q3: number;
  runs: number[];
}

/** The q-quantile (0..1) of sorted values, linearly interpolated. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Median, min–max and IQR of repeated runs. */
export function figure(runs: readonly number[]): Figure {
  const s = [...runs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return { median: quantile(s, 0.5), min: s[0] ?? Number.NaN, max: s.at(-1) ?? Number.NaN, q1: quantile(s, 0.25), q3: quantile(s, 0.75), runs: [...runs] };
}

/** Percentiles of a latency sample (ms). */
export function percentiles(samples: readonly number[]): { p50: number; p95: number; p99: number; max: number; n: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: quantile(s, 0.5), p95: quantile(s, 0.95), p99: quantile(s, 0.99), max: s.at(-1) ?? Number.NaN, n: s.length };
}

/** "12.3 (11.0–13.1)" with `digits` decimals. */
export function fmt(f: Figure | undefined, digits = 0): string {
  if (!f || !Number.isFinite(f.median)) return 'n/a';
  const n = (x: number) => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return f.runs.length > 1 ? `${n(f.median)} (${n(f.min)}–${n(f.max)})` : n(f.median);
}
