import { EventEmitter, once } from 'node:events';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalogue } from '@cityhub/contracts/catalogue';
import { buildApp } from './app.js';
import { errorOf, openHarness, type Harness } from '../testing/harness.js';

describe('rate limit, CORS, request ids and body limits', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness();
  });
  afterAll(async () => h.close());

  it('limits anonymous callers per address and minute with 429, retry-after and the error format; a token lifts it', async () => {
    const app = await buildApp({ ...h.deps, rateLimitPerMin: 5 });
    try {
      const from = (ip: string, headers: Record<string, string> = {}) => app.inject({ url: '/api/v1/assets?kind=wifi', remoteAddress: ip, headers });
      for (let i = 0; i < 5; i++) expect((await from('192.0.2.1')).statusCode).toBe(200);
      const limited = await from('192.0.2.1');
      expect(limited.statusCode).toBe(429);
      expect(errorOf(limited).code).toBe('RATE_LIMITED');
      expect(errorOf(limited).message).toMatch(/more than 5 requests a minute from this address; retry in/);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect(limited.headers['x-ratelimit-limit']).toBe('5');
      // Per address: another one is served; a valid token is not counted; a wrong one is.
      expect((await from('192.0.2.2')).statusCode).toBe(200);
      expect((await from('192.0.2.1', { authorization: `Bearer ${h.operator}` })).statusCode).toBe(200);
      expect((await from('192.0.2.1', { authorization: 'Bearer nope' })).statusCode).toBe(429);
      // Every route under /api/v1, the export and the live stream included; not health or docs.
      expect((await app.inject({ url: '/api/v1/export?kind=wifi', remoteAddress: '192.0.2.1' })).statusCode).toBe(429);
      expect((await app.inject({ url: '/api/v1/live', remoteAddress: '192.0.2.1' })).statusCode).toBe(429);
      expect((await app.inject({ url: '/healthz', remoteAddress: '192.0.2.1' })).statusCode).toBe(200);
      expect((await app.inject({ url: '/openapi.json', remoteAddress: '192.0.2.1' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('takes the client address from X-Forwarded-For only behind a trusted proxy', async () => {
    const trusting = await buildApp({ ...h.deps, rateLimitPerMin: 1, trustProxy: '127.0.0.1' });
    try {
      const via = (client: string) => trusting.inject({ url: '/healthz', remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': client } });
      expect((await via('198.51.100.1')).statusCode).toBe(200);
      const a = (client: string) => trusting.inject({ url: '/api/v1/boundary', remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': client } });
      expect((await a('198.51.100.1')).statusCode).toBe(200);
      expect((await a('198.51.100.2')).statusCode).toBe(200);
      expect((await a('198.51.100.1')).statusCode).toBe(429);
    } finally {
      await trusting.close();
    }
    const untrusting = await buildApp({ ...h.deps, rateLimitPerMin: 1 });
    try {
      const a = (client: string) => untrusting.inject({ url: '/api/v1/boundary', remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': client } });
      expect((await a('198.51.100.1')).statusCode).toBe(200);
      expect((await a('198.51.100.2')).statusCode).toBe(429);
    } finally {
      await untrusting.close();
    }
  });

  it('sends no CORS header by default, and the configured origins otherwise', async () => {
    const preflight = { method: 'OPTIONS' as const, url: '/api/v1/latest?kind=wifi', headers: { origin: 'https://maps.example.org', 'access-control-request-method': 'GET' } };
    const none = await h.app.inject({ url: '/api/v1/latest?kind=wifi', headers: { origin: 'https://maps.example.org' } });
    expect(none.statusCode).toBe(200);
    expect(Object.keys(none.headers).filter((k) => k.startsWith('access-control-'))).toEqual([]);
    expect(Object.keys((await h.app.inject(preflight)).headers).filter((k) => k.startsWith('access-control-'))).toEqual([]);

    const listed = await buildApp({ ...h.deps, corsOrigins: ['https://maps.example.org'] });
    const any = await buildApp({ ...h.deps, corsOrigins: '*' });
    try {
      const ok = await listed.inject({ url: '/api/v1/latest?kind=wifi', headers: { origin: 'https://maps.example.org' } });
      expect(ok.headers['access-control-allow-origin']).toBe('https://maps.example.org');
      expect(ok.headers['access-control-expose-headers']).toMatch(/x-request-id.*retry-after/);
      const other = await listed.inject({ url: '/api/v1/latest?kind=wifi', headers: { origin: 'https://evil.example' } });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
      const pre = await listed.inject(preflight);
      expect(pre.statusCode).toBe(204);
      expect(pre.headers['access-control-allow-headers']).toMatch(/authorization/);
      expect((await any.inject({ url: '/api/v1/assets', headers: { origin: 'https://anyone.example' } })).headers['access-control-allow-origin']).toBe('*');
    } finally {
      await listed.close();
      await any.close();
    }
  });

  it('echoes a plain x-request-id, makes one otherwise, and logs every line of the request with it', async () => {
    const lines: Array<{ reqId?: string; msg: string; status?: number }> = [];
    const sink = new Writable({ write(chunk: Buffer, _e, cb) { lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]); cb(); } });
    const app = await buildApp({ store: h.store, catalogue: loadCatalogue(), boundary: {}, live: new EventEmitter() }, { logger: pino({ level: 'info' }, sink), requestLogLevel: 'info' });
    try {
      const given = await app.inject({ url: '/api/v1/latest?kind=energy', headers: { 'x-request-id': 'lb-7f3a:42' } });
      expect(given.headers['x-request-id']).toBe('lb-7f3a:42');
      const made = await app.inject({ url: '/api/v1/latest?kind=nope', headers: { 'x-request-id': 'bad id\twith spaces' } });
      expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(made.statusCode).toBe(400);
      const other = await app.inject({ url: '/healthz' });
      expect(other.headers['x-request-id']).not.toBe(made.headers['x-request-id']);
      // One line per request, at the level asked for.
      expect(lines.filter((l) => l.reqId === 'lb-7f3a:42').map((l) => l.msg)).toEqual(['request']);
      expect(lines.find((l) => l.reqId === made.headers['x-request-id'] && l.msg === 'request')?.status).toBe(400);
    } finally {
      await app.close();
    }
  });

  it('answers 413 in the error format to a body over 1 MiB, and 400 to one that is not JSON', async () => {
    const big = await h.app.inject({ method: 'POST', url: '/api/v1/devices', payload: { kind: 'wifi', asset: 'x'.repeat(1_100_000) }, headers: { authorization: `Bearer ${h.admin}` } });
    expect(big.statusCode).toBe(413);
    expect(errorOf(big).code).toBe('PAYLOAD_TOO_LARGE');
    const broken = await h.app.inject({ method: 'POST', url: '/api/v1/devices', payload: '{"kind":', headers: { authorization: `Bearer ${h.admin}`, 'content-type': 'application/json' } });
    expect(broken.statusCode).toBe(400);
    expect(errorOf(broken).code).toBe('BAD_REQUEST');
    const fields = await h.app.inject({ method: 'POST', url: '/api/v1/devices', payload: { kind: 'trams', asset: '', extra: 1 }, headers: { authorization: `Bearer ${h.admin}` } });
    // Every problem named, each by its field.
    expect(errorOf(fields).message).toMatch(/kind: .*; asset: .*; body: Unrecognized key: "extra"/);
    // A caller without a token learns nothing about the body: 401 comes first.
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/devices', payload: { kind: 'trams' } })).statusCode).toBe(401);
  });
});

describe('stopping', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness();
  });
  afterAll(async () => h.close());

  it('cuts a request still arriving after its grace period, so a half-sent request cannot hold a stop', async () => {
    const logged: string[] = [];
    const logger = pino({ level: 'warn' }, new Writable({ write(chunk: Buffer, _e, cb) { logged.push(chunk.toString()); cb(); } }));
    const app = await buildApp(h.deps, { closeGraceMs: 300, logger });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as { port: number }).port;
    // One client asked and was answered (its connection is idle); another sends half a request, then nothing.
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    const slow = connect(port, '127.0.0.1');
    await once(slow, 'connect');
    slow.write('GET /api/v1/assets HTTP/1.1\r\nHost: hub\r\n');
    await new Promise((r) => setTimeout(r, 100));
    const cut = once(slow, 'close');
    await app.close();
    await cut;
    expect(logged.join('')).toContain('cut the HTTP connections still open after the grace period');
  });
});
