import { createServer, type Server } from 'node:http';
import type { ReadyCheck } from '@cityhub/contracts';

/**
 * The HTTP face of a node that serves no API (`cityhub broker`): `/healthz` (the process answers),
 * `/readyz` (every check ok, else 503 with the reasons, in the API's format) and `/metrics` (Prometheus).
 */
export function startHealthServer(o: {
  readiness: () => Record<string, ReadyCheck>;
  metrics: () => Promise<{ contentType: string; body: string }>;
}): { server: Server; listen(host: string, port: number): Promise<number>; close(): Promise<void> } {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'application/json', JSON.stringify({ error: { code: 'METHOD_NOT_ALLOWED', message: 'GET only' } }));
    if (path === '/healthz') return send(200, 'application/json', '{"status":"ok"}');
    if (path === '/readyz') {
      const checks = o.readiness();
      const ready = Object.values(checks).every((c) => c.ok);
      return send(ready ? 200 : 503, 'application/json', JSON.stringify({ status: ready ? 'ready' : 'not ready', checks }));
    }
    if (path === '/metrics') {
      o.metrics().then((m) => send(200, m.contentType, m.body), (err: Error) => send(500, 'text/plain', err.message));
      return;
    }
    send(404, 'application/json', JSON.stringify({ error: { code: 'NOT_FOUND', message: `no route ${path}: this node serves /healthz, /readyz and /metrics` } }));
  });
  return {
    server,
    listen: (host, port) => new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        const a = server.address();
        resolve(typeof a === 'object' && a ? a.port : port);
      });
    }),
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
