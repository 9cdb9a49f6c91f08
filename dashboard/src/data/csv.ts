import { ATTRIBUTION } from '@cityhub/contracts';
import type { BuildingRow } from '../model/ranking.js';

/** The licence the city publishes its readings under (the hub's default: `CITYHUB_EXPORT_LICENCE`). */
export const LICENCE = { name: 'CC BY 4.0', url: 'https://creativecommons.org/licenses/by/4.0/' } as const;

/** A value of a CSV cell: text, a number (empty when null or not finite). */
export type CsvCell = string | number | null | undefined;

function cell(v: CsvCell): string {
  if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return '';
  let s = String(v);
  // A spreadsheet would run text that starts like a formula: quote it as text instead.
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180 CSV: a header row and data rows, CRLF line ends. */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

/**
 * The CSV of the ranking, one building per line, numbers unrounded beyond what the meter gives; the licence
 * and the attribution in the last columns of every line, so that the file carries them.
 */
export function rankingCsv(rows: readonly BuildingRow[], from: number, to: number): string {
  const iso = (t: number) => new Date(t).toISOString();
  return toCsv(
    ['building_id', 'name', 'use', 'floor_area_m2', 'from', 'to', 'energy_kwh', 'kwh_per_m2', 'baseload_kw', 'peak_kw', 'week_on_week', 'partial', 'source',
      'baseload_w_per_m2', 'baseload_share_of_day', 'vs_previous_period', 'vs_year_ago', 'licence', 'licence_url', 'attribution'],
    rows.map((r) => [r.id, r.name, r.use, r.floorAreaM2, iso(from), iso(to), r.kwh, r.kwhPerM2, r.baseloadKw, r.peakKw, r.weekOnWeek, r.partial ? 'yes' : 'no', r.source,
      r.baseloadWPerM2, r.baseloadShare, r.vsPrevious, r.vsYearAgo, LICENCE.name, LICENCE.url, ATTRIBUTION]),
  );
}
