import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createDuckDbStore } from '@cityhub/store';
import { buildApp } from '../app.js';
import type { ApiDeps } from '../deps.js';

const base = (): ApiDeps => ({ store: createDuckDbStore({ path: ':memory:' }), catalogue: { type: 'FeatureCollection', features: [], attribution: '' }, boundary: {}, live: new EventEmitter() });

describe('health, readiness and metrics', () => {
  it('is ready only when every part is, and says which one is not', async () => {
    let store = { ok: true, detail: null as string | null };
    const app = await buildApp({ ...base(), readiness: () => ({ broker: { ok: true }, store, spool: { ok: true, detail: '0 bytes waiting' } }) });
    try {
      expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
      const ready = await app.inject({ url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({ status: 'ready', checks: { broker: { ok: true }, store: { ok: true, detail: null }, spool: { ok: true, detail: '0 bytes waiting' } } });
      store = { ok: false, detail: 'Could not set lock on file' };
      const down = await app.inject({ url: '/readyz' });
      expect(down.statusCode).toBe(503);
      expect(down.json()).toMatchObject({ status: 'not ready', checks: { store: { ok: false, detail: 'Could not set lock on file' } } });
    } finally {
      await app.close();
    }
  });

  it('serves the metrics page when metrics are on, 404 in the error format when off', async () => {
    const off = await buildApp(base());
    const timed: string[] = [];
    const on = await buildApp({
      ...base(),
      metrics: {
        render: async () => ({ contentType: 'text/plain; version=0.0.4; charset=utf-8', body: '# HELP cityhub_up 1\ncityhub_up 1\n' }),
        httpRequest: (route, method, status) => timed.push(`${method} ${route} ${status}`),
        liveClients: () => undefined,
      },
    });
    try {
      const none = await off.inject({ url: '/metrics' });
      expect(none.statusCode).toBe(404);
      expect(none.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'metrics are off on this node' } });
      const page = await on.inject({ url: '/metrics' });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(page.body).toContain('cityhub_up 1');
      await on.inject({ url: '/api/v1/latest?kind=nope' });
      // Timed per route pattern, never the raw URL.
      expect(timed).toEqual(['GET /metrics 200', 'GET /api/v1/latest 400']);
    } finally {
      await off.close();
      await on.close();
    }
  });
});
