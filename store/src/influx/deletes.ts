import { query, send, type Connection } from './http.js';
import { httpError } from './influx-errors.js';
import { ident } from './influxql.js';

/** A range of one measurement to delete, in nanoseconds: [from, to), `from` absent = since the beginning. */
export interface DeleteRange {
  measurement: string;
  fromNs?: bigint;
  toNs: bigint;
}

/** The earliest time InfluxDB 2.x's delete API takes. */
const V2_MIN = '1677-09-21T00:12:43.145224194Z';

/** RFC 3339 with nanoseconds, for a time at or after 1970. */
function rfc3339(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const sub = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${new Date(Number(ms)).toISOString().slice(0, 19)}.${sub}Z`;
}

/**
 * Deletes ranges of points. InfluxDB 1.x (and 3.x's InfluxQL, where it has DELETE) take InfluxQL
 * `DELETE FROM … WHERE time …`; 2.x has no InfluxQL DELETE and takes `POST /api/v2/delete` with an
 * inclusive stop and a measurement predicate instead.
 */
export async function deleteRanges(conn: Connection, ranges: readonly DeleteRange[], opts: { major: number | undefined; org: string; bucket: string }): Promise<void> {
  if (ranges.length === 0) return;
  if (opts.major !== 2) {
    const where = (r: DeleteRange) => [r.fromNs === undefined ? undefined : `time >= ${r.fromNs}`, `time < ${r.toNs}`].filter(Boolean).join(' AND ');
    await query(conn, 'delete', ranges.map((r) => `DELETE FROM ${ident(r.measurement)} WHERE ${where(r)}`));
    return;
  }
  for (const r of ranges) {
    const params = new URLSearchParams({ org: opts.org, bucket: opts.bucket });
    const body = JSON.stringify({
      start: r.fromNs === undefined ? V2_MIN : rfc3339(r.fromNs),
      stop: rfc3339(r.toNs - 1n),
      predicate: `_measurement="${r.measurement}"`,
    });
    const res = await send(conn, 'delete', `/api/v2/delete?${params.toString()}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const text = await res.text().catch(() => '');
    if (!res.ok) throw httpError('delete', conn.url, res.status, text);
  }
}
