import { send, type Connection } from './http.js';
import { httpError } from './influx-errors.js';

/** What the store learnt of the server at `init()`. */
export interface ServerInfo {
  /** Where writes go: `/api/v2/write` (1.8+, 2.x, 3.x) through the client library, or 1.x's `/write`. */
  writeApi: '/api/v2/write' | '/write';
  /** `X-Influxdb-Version` from `/ping`, when the server sends it. */
  version: string | undefined;
  /** Its major version (1, 2, 3), when known: 1.x deletes with InfluxQL, 2.x through `/api/v2/delete`. */
  major: number | undefined;
}

/** The major version of a version string such as `1.6.7~rc0`, `v2.7.4` or `3.0.1`. */
export function majorOf(version: string | undefined): number | undefined {
  const m = /^v?(\d+)\./.exec(version ?? '');
  return m ? Number(m[1]) : undefined;
}

/**
 * Asks the server what it serves rather than guessing from a version: `GET /health` exists exactly
 * where `/api/v2/write` does (1.8+, 2.x, 3.x) and is a 404 on 1.x before 1.8. When `/health` answers
 * something else (a 401 from a server that guards it), an empty `POST /api/v2/write` settles it: a 404
 * means there is no such endpoint. `/ping` comes first: it tells whether the server is up at all, and
 * its version header says which dialect deletes take.
 */
export async function detectServer(conn: Connection): Promise<ServerInfo> {
  const ping = await send(conn, 'probe', '/ping');
  await ping.arrayBuffer().catch(() => undefined);
  if (ping.status >= 500) throw httpError('probe', conn.url, ping.status, '');
  const version = ping.headers.get('x-influxdb-version') ?? undefined;
  const major = majorOf(version);
  const health = await send(conn, 'probe', '/health');
  await health.arrayBuffer().catch(() => undefined);
  if (health.status >= 500) throw httpError('probe', conn.url, health.status, '');
  let hasV2 = health.ok;
  if (!health.ok && health.status !== 404) {
    const probe = await send(conn, 'probe', `/api/v2/write?bucket=${encodeURIComponent(conn.db)}&precision=ms`, { method: 'POST', body: '' });
    await probe.arrayBuffer().catch(() => undefined);
    hasV2 = probe.status !== 404;
  }
  return { writeApi: hasV2 ? '/api/v2/write' : '/write', version, major };
}
