import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the front saw. */
export interface SeenRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
}

/** A running front. */
export interface V2Front {
  readonly url: string;
  /** Every request so far, oldest first. */
  readonly seen: SeenRequest[];
  close(): Promise<void>;
}

/** Options of {@link startV2Front}. */
export interface V2FrontOptions {
  /**
   * Serve `/health` and `/api/v2/write` (default true), as InfluxDB 1.8 does. With false the front only
   * passes requests through and records them, so it shows what a client sends to a 1.6 server.
   */
  v2?: boolean;
}

/** Headers worth passing on: the body's type and encoding, and the credentials. */
function forwardHeaders(h: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['content-type', 'content-encoding', 'content-length', 'authorization', 'accept', 'accept-encoding']) {
    const v = h[name];
    if (typeof v === 'string') out[name] = v;
  }
  return out;
}

/**
 * A small translating front for an InfluxDB 1.6 server, so that the `@influxdata/influxdb-client` write
 * path runs against a real influxd: `POST /api/v2/write?org=&bucket=&precision=` is forwarded to
 * `/write?db=<bucket>&rp=&precision=` (a bucket `db/rp` names a retention policy), `GET /health` answers
 * 200 with JSON, and everything else (`/query`, `/ping`, `/write`) passes through unchanged. That is what
 * InfluxDB 1.8 itself does with these endpoints. It also records each request, credentials included.
 */
export async function startV2Front(influxUrl: string, opts: V2FrontOptions = {}): Promise<V2Front> {
  const v2 = opts.v2 ?? true;
  const target = new URL(influxUrl);
  const seen: SeenRequest[] = [];

  function forward(req: IncomingMessage, res: ServerResponse, path: string): void {
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path, headers: forwardHeaders(req.headers) },
      (up) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(up.headers)) if (typeof v === 'string') headers[k] = v;
        res.writeHead(up.statusCode ?? 502, headers);
        up.pipe(res);
      },
    );
    upstream.on('error', (e) => {
      // The server behind is down: a gateway says so with 502, as a real proxy in front of InfluxDB would.
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `upstream: ${e.message}` }));
    });
    req.pipe(upstream);
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://front');
    seen.push({ method: req.method ?? '', path: url.pathname, query: url.searchParams, authorization: req.headers.authorization });
    if (v2 && url.pathname === '/health' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ name: 'influxdb', message: 'ready for queries and writes', status: 'pass', version: '1.8-front' }));
      return;
    }
    if (v2 && url.pathname === '/api/v2/write' && req.method === 'POST') {
      const [db = '', rp] = (url.searchParams.get('bucket') ?? '').split('/');
      const q = new URLSearchParams({ db, precision: url.searchParams.get('precision') ?? 'ns' });
      if (rp) q.set('rp', rp);
      forward(req, res, `/write?${q.toString()}`);
      return;
    }
    if (['/query', '/ping', '/write'].includes(url.pathname)) {
      forward(req, res, `${url.pathname}${url.search}`);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('404 page not found\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
