import type { ExportLicence } from '@cityhub/contracts';
import { columnNames, type AssetInfo } from './columns.js';
import type { ExportPlan } from './plan.js';
import type { Row } from './read.js';

/** Output is handed on in pieces of about this size: few enough writes, little held at once. */
const PIECE = 64 * 1024;

/** A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break; empty for null. */
export function csvField(v: string | number | boolean | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * CSV (RFC 4180, CRLF, a header line): one row per bucket and asset that has a reading, in time order, with the asset's
 * attributes and every metric of the kind as columns. Metadata (licence, attribution) travels in HTTP headers,
 * so that the file stays plain CSV for every reader; with `meta`, it is also in the last three columns of every
 * row (`licence`, `licence_url`, `attribution`), so that the file carries it wherever it goes.
 */
export async function* csvPieces(plan: ExportPlan, assets: readonly AssetInfo[], batches: AsyncIterable<Row[]>, meta?: { licence: ExportLicence; attribution: string }): AsyncGenerator<string> {
  const tail = meta ? ',' + [meta.licence.name, meta.licence.url, meta.attribution].map(csvField).join(',') : '';
  let out = [...columnNames(plan.kind, plan.metrics), ...(meta ? ['licence', 'licence_url', 'attribution'] : [])].join(',') + '\r\n';
  // The asset's part of a row is the same in every one of its rows.
  const middle = assets.map((a) => [a.id, a.name, ...a.attributes, a.assetSimulated, a.readingsSimulated].map(csvField).join(','));
  for await (const batch of batches) {
    for (const r of batch) {
      out += `${new Date(r.ts).toISOString()},${middle[r.asset]!}`;
      for (const v of r.values) out += v === null ? ',' : `,${v}`;
      out += tail + '\r\n';
      if (out.length >= PIECE) {
        yield out;
        out = '';
      }
    }
  }
  if (out) yield out;
}
