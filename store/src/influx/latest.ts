import type { Kind } from '@cityhub/contracts';
import type { LatestPoint } from '../types.js';
import { column, numAt, type Series } from './http.js';
import { ident } from './influxql.js';
import { assetTag, DEVICE_TAG, rawMeasurement } from './schema.js';

/**
 * The statement behind `latest()`: the newest point of every series (asset + device), whole — `SELECT *`
 * of one row keeps the fields of that one point together, where `last(*)` would take each field's own
 * last value, possibly from different readings. Each series is read newest first and stops after one
 * row, so the cost follows the number of series, not the history.
 */
export const latestStatement = (kind: Kind): string =>
  `SELECT * FROM ${ident(rawMeasurement(kind))} GROUP BY ${ident(assetTag(kind))}, ${ident(DEVICE_TAG)} ORDER BY time DESC LIMIT 1`;

/** Picks, per asset, the newest of its devices' newest readings (ties on ts to the greater device id). */
export function latestFrom(kind: Kind, series: readonly Series[]): LatestPoint[] {
  const tag = assetTag(kind);
  const best = new Map<string, LatestPoint>();
  for (const s of series) {
    const asset = s.tags?.[tag];
    const device = s.tags?.[DEVICE_TAG];
    const row = s.values?.[0];
    const t = column(s, 'time');
    const ts = row ? numAt(row, t) : undefined;
    if (asset === undefined || device === undefined || !row || ts === undefined) continue;
    const seen = best.get(asset);
    if (seen && (seen.ts > ts || (seen.ts === ts && seen.device > device))) continue;
    const values: Record<string, number> = {};
    s.columns.forEach((name, i) => {
      const v = i === t ? undefined : numAt(row, i);
      if (v !== undefined) values[name] = v;
    });
    best.set(asset, { kind, asset, device, ts, values });
  }
  return [...best.values()].sort((a, b) => (a.asset < b.asset ? -1 : a.asset > b.asset ? 1 : 0));
}
