import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { z } from 'zod';
import { httpError, networkError, statementError, type Operation } from './influx-errors.js';

const gzip = promisify(gzipCallback);

/** Connection settings shared by every request of one store. */
export interface Connection {
  /** Base URL without a trailing slash. */
  url: string;
  /** 1.x database (the part of the bucket before a `/`). */
  db: string;
  /** 1.x retention policy (the part after a `/`), if named. */
  rp: string | undefined;
  /** The value of the Authorization header, if any. */
  authorization: string | undefined;
  timeoutMs: number;
  gzip: boolean;
}

/** One series of an InfluxQL answer. */
const Series = z.object({
  name: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  columns: z.array(z.string()),
  // Rows are checked to be arrays, not copied cell by cell: an answer can hold a million cells, and the
  // readers below check each cell's type as they take it.
  values: z.custom<unknown[][]>((v) => Array.isArray(v) && v.every((row) => Array.isArray(row)), 'rows must be arrays').optional(),
  partial: z.boolean().optional(),
});
export type Series = z.infer<typeof Series>;

const StatementResult = z.object({
  statement_id: z.number().optional(),
  series: z.array(Series).optional(),
  error: z.string().optional(),
});
const QueryAnswer = z.object({ results: z.array(StatementResult).optional(), error: z.string().optional() });

/** The index of a column of a series, -1 when it has none (the cell readers then give undefined). */
export function column(series: Series, name: string): number {
  return series.columns.indexOf(name);
}

/** The numeric cell of a row, or undefined when absent or null. */
export function numAt(row: readonly unknown[], i: number): number | undefined {
  const v = i < 0 ? undefined : row[i];
  return typeof v === 'number' ? v : undefined;
}

/** The string cell of a row, or undefined when absent or null. */
export function strAt(row: readonly unknown[], i: number): string | undefined {
  const v = i < 0 ? undefined : row[i];
  return typeof v === 'string' ? v : undefined;
}

/** Builds the Authorization header: a token (2.x, 3.x, 1.8+) or HTTP basic auth (1.x users). */
export function authorization(opts: { token?: string; username?: string; password?: string }): string | undefined {
  if (opts.token) return `Token ${opts.token}`;
  if (opts.username !== undefined) {
    return `Basic ${Buffer.from(`${opts.username}:${opts.password ?? ''}`).toString('base64')}`;
  }
  return undefined;
}

/** Sends one request; any answer comes back, only a missing one (refused, reset, timeout) throws. */
export async function send(conn: Connection, op: Operation, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (conn.authorization) headers.set('authorization', conn.authorization);
  try {
    return await fetch(`${conn.url}${path}`, { ...init, headers, signal: AbortSignal.timeout(conn.timeoutMs) });
  } catch (e) {
    throw networkError(op, conn.url, e);
  }
}

/** Reads the whole body of an answer, mapping a connection lost mid-body like one never made. */
async function bodyText(conn: Connection, op: Operation, res: Response): Promise<string> {
  try {
    return await res.text();
  } catch (e) {
    throw networkError(op, conn.url, e);
  }
}

function dbParams(conn: Connection): URLSearchParams {
  const p = new URLSearchParams({ db: conn.db });
  if (conn.rp) p.set('rp', conn.rp);
  return p;
}

/**
 * The JSON objects of an answer: one per line when chunked; a server that does not chunk sends one,
 * possibly spread over lines.
 */
function answers(op: Operation, text: string): Array<z.infer<typeof QueryAnswer>> {
  const read = (json: string) => QueryAnswer.parse(JSON.parse(json));
  try {
    return text.split('\n').filter((l) => l.trim() !== '').map(read);
  } catch (chunked) {
    try {
      return [read(text)];
    } catch {
      throw statementError(op, `unreadable answer (${(chunked as Error).message.slice(0, 200)})`);
    }
  }
}

/**
 * Runs InfluxQL statements in one request (POST `/query`, which every generation serves: 1.x natively,
 * 2.x and 3.x through their v1 compatibility API) and returns each statement's series, in order.
 * Times come back as epoch ms. The answer is asked for in chunks, so that a server with a `max-row-limit`
 * still sends every row (chunks of one series are joined here).
 */
export async function query(conn: Connection, op: Operation, statements: readonly string[]): Promise<Series[][]> {
  if (statements.length === 0) return [];
  const params = dbParams(conn);
  params.set('epoch', 'ms');
  params.set('chunked', 'true');
  params.set('chunk_size', '20000');
  const res = await send(conn, op, `/query?${params.toString()}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ q: statements.join(';\n') }).toString(),
  });
  const text = await bodyText(conn, op, res);
  if (!res.ok) throw httpError(op, conn.url, res.status, text);
  const out: Series[][] = statements.map(() => []);
  const bySeries = new Map<string, Series>();
  for (const answer of answers(op, text)) {
    if (answer.error !== undefined) throw statementError(op, answer.error);
    for (const [i, result] of (answer.results ?? []).entries()) {
      if (result.error !== undefined) throw statementError(op, result.error);
      const id = result.statement_id ?? i;
      const target = out[id];
      if (!target) continue;
      for (const s of result.series ?? []) {
        // A series split across chunks arrives as several objects with the same name and tags.
        const key = `${id}\u0000${s.name ?? ''}\u0000${JSON.stringify(s.tags ?? {})}`;
        const seen = bySeries.get(key);
        if (seen) {
          const values = (seen.values ??= []);
          for (const row of s.values ?? []) values.push(row);
        } else {
          bySeries.set(key, s);
          target.push(s);
        }
      }
    }
  }
  return out;
}

/** Writes line protocol through 1.x's `/write` (1.x before 1.8 has nothing else). */
export async function writeV1(conn: Connection, body: string, precision: 'ms' | 'ns'): Promise<void> {
  const params = dbParams(conn);
  params.set('precision', precision);
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
  let payload: string | Buffer = body;
  if (conn.gzip) {
    payload = await gzip(body);
    headers['content-encoding'] = 'gzip';
  }
  const res = await send(conn, 'write', `/write?${params.toString()}`, { method: 'POST', headers, body: payload });
  const text = await bodyText(conn, 'write', res);
  if (!res.ok) throw httpError('write', conn.url, res.status, text);
}
