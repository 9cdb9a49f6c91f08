import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { inlineScriptHashes } from './security.js';
import { errorOf, openHarness, type Harness } from '../testing/harness.js';

type Doc = { paths: Record<string, Record<string, { operationId: string }>> };

/** Sends raw bytes to a listening app and returns what came back. */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const s = connect(port, '127.0.0.1', () => s.write(request));
    s.on('data', (d: Buffer) => (out += d.toString('latin1')));
    s.on('close', () => resolve(out));
    s.on('error', reject);
  });
}

describe('HTTP conventions: security headers, challenges, HEAD, media types and one error shape', () => {
  let h: Harness;
  let dashboard: string;
  beforeAll(async () => {
    dashboard = await mkdtemp(join(tmpdir(), 'cityhub-dash-'));
    await writeFile(join(dashboard, 'index.html'), '<!doctype html><script>window.x = 1;</script><script type="module" src="/a.js"></script>');
    h = await openHarness({ dashboardDir: dashboard });
  });
  afterAll(async () => {
    await h.close();
    await rm(dashboard, { recursive: true, force: true });
  });

  it('sends security headers and a CSP that allows the dashboard\'s own inline script by its hash', async () => {
    const [hash] = inlineScriptHashes('<script>window.x = 1;</script>');
    for (const url of ['/', '/api/v1/assets?kind=wifi', '/nope']) {
      const r = await h.app.inject({ url });
      expect(r.headers['x-content-type-options'], url).toBe('nosniff');
      expect(r.headers['x-frame-options']).toBe('DENY');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
      const csp = String(r.headers['content-security-policy']);
      expect(csp).toContain(`script-src 'self' ${hash!}`);
      expect(csp).toMatch(/worker-src 'self' blob:/);
      expect(csp).toMatch(/frame-ancestors 'none'/);
      expect(csp).not.toMatch(/unsafe-(inline|eval)/);
    }
    expect((await h.app.inject({ url: '/' })).headers['strict-transport-security']).toBeUndefined();
    // Swagger UI keeps its own policy (it needs its inline styles).
    expect(String((await h.app.inject({ url: '/docs/' })).headers['content-security-policy'])).toMatch(/style-src 'self' https:/);
    // A basemap on another host: its tiles and glyphs may be fetched.
    const app = await buildApp({ ...h.deps, basemapStyle: 'https://tiles.example.org/style.json' });
    try {
      expect(String((await app.inject({ url: '/healthz' })).headers['content-security-policy'])).toMatch(/connect-src 'self' https: https:\/\/tiles\.example\.org;/);
    } finally {
      await app.close();
    }
  });

  it('challenges with WWW-Authenticate: Bearer on every 401, naming a bad token', async () => {
    const none = await h.app.inject({ url: '/api/v1/devices' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="City Hub"');
    const bad = await h.app.inject({ url: '/api/v1/devices', headers: { authorization: 'Bearer nope' } });
    expect(bad.headers['www-authenticate']).toBe('Bearer realm="City Hub", error="invalid_token"');
    const closed = await buildApp({ ...h.deps, publicRead: false });
    try {
      const ngsi = await closed.inject({ url: '/ngsi-ld/v1/types' });
      expect(ngsi.statusCode).toBe(401);
      expect(ngsi.headers['www-authenticate']).toBe('Bearer realm="City Hub"');
      // /metrics closes with the public reads; Prometheus sends a token.
      const metrics = await closed.inject({ url: '/metrics' });
      expect([metrics.statusCode, metrics.headers['www-authenticate']]).toEqual([401, 'Bearer realm="City Hub"']);
      expect((await closed.inject({ url: '/metrics', headers: { authorization: `Bearer ${h.operator}` } })).statusCode).toBe(404);
      expect((await h.app.inject({ url: '/metrics' })).statusCode).toBe(404);
    } finally {
      await closed.close();
    }
  });

  it('answers HEAD wherever it answers GET, with the GET\'s status and type and no body; the export without reading', async () => {
    const doc = (await h.app.inject({ url: '/openapi.json' })).json<Doc>();
    const urls = Object.entries(doc.paths).filter(([, ops]) => ops.get).map(([p]) => p.replace(/\{[^}]+\}/g, 'x'));
    urls.push('/', '/api/v1/export?kind=wifi&format=parquet', '/api/v1/latest?kind=wifi', '/ngsi-ld/v1/types');
    const wrong: string[] = [];
    for (const url of urls) {
      const get = await h.app.inject({ url });
      const head = await h.app.inject({ method: 'HEAD', url });
      if (head.statusCode !== get.statusCode || head.headers['content-type'] !== get.headers['content-type'] || head.body !== '') {
        wrong.push(`${url}: GET ${get.statusCode} ${String(get.headers['content-type'])}, HEAD ${head.statusCode} ${String(head.headers['content-type'])}`);
      }
    }
    expect(wrong).toEqual([]);
    const head = await h.app.inject({ method: 'HEAD', url: '/api/v1/export?kind=traffic&format=csv&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z' });
    expect(head.headers['content-disposition']).toBe('attachment; filename="cityhub-traffic-20260101T0000Z-20260102T0000Z-15m-mean.csv"');
    expect(head.headers.link).toMatch(/rel="license"/);
    expect((await h.app.inject({ method: 'HEAD', url: '/api/v1/export?kind=trams' })).statusCode).toBe(400);
  });

  it('serves GeoJSON as application/geo+json', async () => {
    for (const url of ['/api/v1/assets', '/api/v1/assets?kind=traffic', '/api/v1/boundary', '/api/v1/export?kind=wifi&format=geojson']) {
      const r = await h.app.inject({ url });
      expect(r.statusCode, url).toBe(200);
      expect(r.headers['content-type'], url).toMatch(/^application\/geo\+json/);
      expect(r.json<{ type: string }>().type).toBe('FeatureCollection');
    }
  });

  it('answers every failure as { error: { code, message } }: bad URL, unknown route, wrong media type, bad HTTP', async () => {
    const cases: Array<[url: string, status: number, code: string, opts?: object]> = [
      ['/api/v1/assets%zz', 400, 'BAD_REQUEST'],
      ['/api/v1/%E0%A4%A', 400, 'BAD_REQUEST'],
      ['/nowhere', 404, 'NOT_FOUND'],
      ['/api/v1/devices', 415, 'UNSUPPORTED_MEDIA_TYPE', { method: 'POST', payload: 'kind=wifi', headers: { authorization: `Bearer ${h.admin}`, 'content-type': 'application/x-www-form-urlencoded' } }],
      ['/api/v1/devices', 400, 'BAD_REQUEST', { method: 'POST', payload: '{', headers: { authorization: `Bearer ${h.admin}`, 'content-type': 'application/json' } }],
    ];
    for (const [url, status, code, opts] of cases) {
      const r = await h.app.inject({ url, ...opts });
      expect([url, r.statusCode, errorOf(r).code]).toEqual([url, status, code]);
      expect(Object.keys(r.json<object>())).toEqual(['error']);
      expect(typeof errorOf(r).message).toBe('string');
    }
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (h.app.server.address() as { port: number }).port;
    const answer = await raw(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({ error: { code: 'BAD_REQUEST', message: 'the request is not valid HTTP' } });
  });

  it('does not count holders of a valid ?token= as anonymous in the rate limit', async () => {
    const app = await buildApp({ ...h.deps, rateLimitPerMin: 2 });
    try {
      const from = (q = '') => app.inject({ url: `/api/v1/boundary${q}`, remoteAddress: '192.0.2.9' });
      expect((await from()).statusCode).toBe(200);
      expect((await from()).statusCode).toBe(200);
      expect((await from()).statusCode).toBe(429);
      expect((await from(`?token=${h.operator}`)).statusCode).toBe(200);
      expect((await from('?token=nope')).statusCode).toBe(429);
    } finally {
      await app.close();
    }
  });
});
