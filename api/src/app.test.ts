import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBoundary, loadCatalogue } from '@cityhub/contracts/catalogue';
import { silentLogger } from '@cityhub/contracts';
import { openRegistry, TokenStore, type FileRegistry } from '@cityhub/devices';
import { Ingest } from '@cityhub/ingest';
import { createDuckDbStore, type Store } from '@cityhub/store';
import { buildApp } from './app.js';

const quiet = silentLogger;

describe('the HTTP API on a real store, registry, token store and spool', () => {
  let dir: string;
  let store: Store;
  let registry: FileRegistry;
  let ingest: Ingest;
  let app: FastifyInstance;
  let operator: string;
  let admin: string;
  const now = Date.now();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cityhub-api-'));
    store = createDuckDbStore({ path: join(dir, 'store.duckdb') });
    await store.init();
    registry = await openRegistry(dir);
    const tokens = await TokenStore.open(dir);
    operator = (await tokens.add('operator')).token;
    admin = (await tokens.add('admin')).token;
    ingest = await Ingest.open({ store, registry, dataDir: dir, logger: quiet, writer: { intervalMs: 5 } });
    ingest.start();
    app = await buildApp({
      store, catalogue: loadCatalogue(), boundary: loadBoundary(), live: ingest, auth: tokens, registry,
      deviceStats: (id) => ingest.stats.peek(id), replay: (l) => ingest.replay(l), rateLimitPerMin: 0,
    });
  });
  afterAll(async () => {
    await app.close();
    await ingest.close();
    await registry.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const get = (url: string, token?: string) => app.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });
  const send = (method: 'POST' | 'PATCH', url: string, body: unknown, token?: string) =>
    app.inject({ method, url, payload: body as object, headers: token ? { authorization: `Bearer ${token}` } : {} });
  const err = (r: { json<T>(): T }) => r.json<{ error: { code: string; message: string } }>().error;

  it('takes an acknowledgement with no body at all (a plain POST) as one without a comment', async () => {
    const r = await app.inject({ method: 'POST', url: '/api/v1/alerts/no-such-alert/ack', headers: { authorization: `Bearer ${operator}` } });
    // This node runs no alert engine: 503, not a 400 for the missing body.
    expect(r.statusCode, r.body).toBe(503);
  });

  it('serves the catalogue by kind and refuses an unknown kind', async () => {
    const r = await get('/api/v1/assets?kind=wifi');
    expect(r.statusCode).toBe(200);
    expect((r.json<{ features: unknown[] }>()).features).toHaveLength(20);
    const bad = await get('/api/v1/assets?kind=trams');
    expect(bad.statusCode).toBe(400);
    expect(err(bad).code).toBe('BAD_REQUEST');
    expect((await get('/api/v1/boundary')).statusCode).toBe(200);
  });

  it('answers series per step over whole, aligned buckets, from raw data written through ingest', async () => {
    const dev = await registry.add({ kind: 'traffic', asset: 'link-5' });
    const t = Math.floor((now - 7_200_000) / 3_600_000) * 3_600_000;
    const readings = [10, 20, 30, 40].map((v, i) => ({ ts: t + i * 600_000, seq: i, speed_kmh: v }));
    await ingest.accept(dev.id, `city/traffic/${dev.id}/telemetry`, Buffer.from(JSON.stringify(readings)));
    expect(await ingest.writer.drained()).toBe(true);
    // from/to inside the hour widen to the hour: one bucket with all four readings.
    const r = await get(`/api/v1/series?asset=link-5&metric=speed_kmh&from=${t + 1}&to=${t + 1_800_001}&step=1h&agg=mean`);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ agg: 'mean', step_s: 3600, from: new Date(t).toISOString(), series: [{ asset: 'link-5', points: [[new Date(t).toISOString(), 25]] }] });
    const city = await get(`/api/v1/series?kind=traffic&metric=speed_kmh&from=${t}&to=${t + 3_600_000}&step=15m&agg=max`);
    const all = (city.json<{ series: Array<{ asset: string; points: unknown[] }> }>()).series;
    expect(all).toHaveLength(178);
    expect(all.find((s) => s.asset === 'link-5')!.points.map((p) => (p as [string, number])[1])).toEqual([20, 30, 40]);
  });

  it.each([
    ['/api/v1/series?asset=link-1&metric=clients', 400, /traffic; its metrics are/],
    ['/api/v1/series?asset=nowhere&metric=speed_kmh', 404, /no asset nowhere/],
    ['/api/v1/series?kind=traffic&metric=speed_kmh', 400, /per step/],
    ['/api/v1/series?asset=link-1&kind=traffic&metric=speed_kmh&step=1h', 400, /either asset/],
    ['/api/v1/series?asset=link-1&metric=speed_kmh&from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z', 400, /at most 7 days/],
    ['/api/v1/series?asset=link-1&metric=speed_kmh&step=1s&from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z', 400, /buckets/],
    ['/api/v1/series?kind=traffic&metric=speed_kmh&step=60s&from=2026-01-01T00:00:00Z&to=2026-01-06T00:00:00Z', 400, /points/],
    ['/api/v1/series?asset=link-1&metric=speed_kmh&from=yesterday', 400, /ISO 8601/],
    ['/api/v1/series?asset=link-1&metric=speed_kmh&agg=max', 400, /agg needs a step/],
    ['/api/v1/latest', 400, /kind/],
    ['/api/v1/nothing-here', 404, /no route/],
  ])('%s → %i', async (url, status, message) => {
    const r = await get(url);
    expect(r.statusCode).toBe(status);
    expect(err(r).message).toMatch(message);
  });

  it('refuses missing, wrong and under-privileged tokens on every protected route', async () => {
    const routes: Array<[string, string, unknown, 'operator' | 'admin']> = [
      ['GET', '/api/v1/devices', undefined, 'operator'],
      ['GET', '/api/v1/devices/tr-00000000', undefined, 'operator'],
      ['POST', '/api/v1/devices', { kind: 'wifi', asset: 'hotspot-rotunda' }, 'admin'],
      ['PATCH', '/api/v1/devices/tr-00000000', { enabled: false }, 'admin'],
      ['GET', '/api/v1/deadletters', undefined, 'operator'],
      ['POST', '/api/v1/deadletters/replay', {}, 'operator'],
      ['POST', '/api/v1/alerts/a-1/ack', {}, 'operator'],
      ['GET', '/api/v1/alerts/deliveries', undefined, 'operator'],
      ['PUT', '/api/v1/rules', {}, 'admin'],
    ];
    for (const [method, url, body, role] of routes) {
      const call = (token?: string) => app.inject({ method: method as 'GET', url, ...(body ? { payload: body } : {}), headers: token ? { authorization: token } : {} });
      expect((await call()).statusCode, `${method} ${url} without a token`).toBe(401);
      expect((await call('Bearer chk_00000000_' + 'x'.repeat(43))).statusCode, `${method} ${url} with a wrong token`).toBe(401);
      expect((await call('Basic dXNlcjpwYXNz')).statusCode, `${method} ${url} with another scheme`).toBe(401);
      if (role === 'admin') {
        const r = await call(`Bearer ${operator}`);
        expect(r.statusCode, `${method} ${url} as operator`).toBe(403);
        expect(err(r).code).toBe('FORBIDDEN');
      }
    }
  });

  it('creates a device for an admin, shows the secret once, lists it with its accounting and disables it', async () => {
    const r = await send('POST', '/api/v1/devices', { kind: 'energy', asset: 'building-rotunda', id: 'en-api-test' }, admin);
    expect(r.statusCode).toBe(201);
    const created = r.json<{ id: string; secret: string }>();
    expect(created).toMatchObject({ id: 'en-api-test', kind: 'energy', asset: 'building-rotunda' });
    expect(await registry.verify(created.id, created.secret)).toBe(true);
    expect((await send('POST', '/api/v1/devices', { kind: 'energy', asset: 'building-rotunda', id: 'en-api-test' }, admin)).statusCode).toBe(409);
    expect((await send('POST', '/api/v1/devices', { kind: 'energy', asset: 'link-1' }, admin)).statusCode).toBe(400);
    expect((await send('POST', '/api/v1/devices', { kind: 'energy' }, admin)).statusCode).toBe(400);
    await ingest.accept('en-api-test', 'city/energy/en-api-test/telemetry', Buffer.from(JSON.stringify([{ ts: now - 2_000, seq: 1, power_kw: 5 }, { ts: now - 1_000, seq: 4, power_kw: 6 }])));
    // Readings are accounted once the acknowledgements of their turn of the event loop went out.
    await new Promise((r) => setImmediate(r));
    const list = (await get('/api/v1/devices?kind=energy', operator)).json<{ items: Array<Record<string, unknown>> }>();
    const mine = list.items.find((d) => d.id === 'en-api-test')!;
    expect(mine).toMatchObject({ readings: 2, gaps: 2, enabled: true, last_reading_ts: new Date(now - 1_000).toISOString() });
    expect(JSON.stringify(list)).not.toContain('secret');
    const off = await send('PATCH', '/api/v1/devices/en-api-test', { enabled: false }, admin);
    expect(off.json()).toMatchObject({ enabled: false });
    expect(await registry.verify(created.id, created.secret)).toBe(false);
    expect((await send('PATCH', '/api/v1/devices/nobody', { enabled: false }, admin)).statusCode).toBe(404);
  });

  it('lists dead letters and replays those that pass now, without duplicating what was stored', async () => {
    const topic = 'city/wifi/wf-late-reg/telemetry';
    const ts = now - 60_000;
    await ingest.accept('wf-late-reg', topic, Buffer.from(JSON.stringify({ ts, seq: 1, clients: 42 })));
    await ingest.denied('wf-late-reg', 'city/wifi/wf-other/telemetry', Buffer.from('{}'), 'not its topic');
    expect(await ingest.writer.drained()).toBe(true);
    const listed = (await get('/api/v1/deadletters?device=wf-late-reg', operator)).json<{ items: Array<{ reason: string }> }>();
    expect(listed.items.map((d) => d.reason).sort()).toEqual(['topic_denied', 'unknown_device']);
    // A letter says how big the payload was, its SHA-256, and whether what it keeps was cut.
    expect(listed.items.find((d) => d.reason === 'topic_denied')).toMatchObject({
      payload: '{}', size: 2, sha256: '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', truncated: false,
    });
    expect((await get('/api/v1/deadletters?reason=unknown_device&limit=0', operator)).statusCode).toBe(400);

    await registry.add({ kind: 'wifi', asset: 'hotspot-rotunda', id: 'wf-late-reg' });
    const r = await send('POST', '/api/v1/deadletters/replay', { device: 'wf-late-reg' }, operator);
    expect(r.json()).toEqual({ examined: 2, replayed: 1, still_rejected: [], not_replayable: 1 });
    expect(await ingest.writer.drained()).toBe(true);
    const again = await send('POST', '/api/v1/deadletters/replay', { device: 'wf-late-reg', reason: 'unknown_device' }, operator);
    expect(again.json()).toMatchObject({ examined: 0, replayed: 0 });
    // No body at all: every dead letter, up to the limit.
    const all = await app.inject({ method: 'POST', url: '/api/v1/deadletters/replay', headers: { authorization: `Bearer ${operator}` } });
    expect(all.statusCode).toBe(200);
    expect(all.json<{ examined: number }>().examined).toBeGreaterThan(0);
    const s = (await get(`/api/v1/series?asset=hotspot-rotunda&metric=clients&from=${ts - 1}&to=${ts + 1}`)).json<{ series: Array<{ points: unknown[] }> }>();
    expect(s.series[0]!.points).toEqual([[new Date(ts).toISOString(), 42]]);
    expect(((await get('/api/v1/deadletters?device=wf-late-reg', operator)).json<{ items: Array<{ reason: string }> }>()).items.map((d) => d.reason)).toEqual(['topic_denied']);
  });

  it('never answers 500 to random query strings (fixed seed), and always answers in the error format', async () => {
    let x = 12345;
    const rnd = (n: number) => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) % n);
    const keys = ['asset', 'kind', 'metric', 'from', 'to', 'step', 'agg', 'limit', 'device', 'reason', 'status', 'token', 'x', 'format', 'state', 'rule', 'kind', 'step'];
    const values = ['', 'link-1', 'link-1,link-2', 'traffic', 'wifi', 'energy', 'wifi,traffic', 'speed_kmh', 'clients', '1h', '0', '-1', '15m', '1m', '30s', '9999999999999999999',
      'NaN', '2026-11-23T00:00:00Z', '2025-11-23T00:00:00Z', '1767225600000', '2026-13-45', 'mean', 'last', 'sum', 'count', 'csv', 'geojson', 'parquet', 'open', 'all',
      '%00', '%F0%9F%98%80', '[]', '{}', 'a'.repeat(300), '1e308', 'null', '%', '..%2F..%2Fetc', 'link-1&asset=link-2', '%2C%2C'];
    const paths = ['/api/v1/assets', '/api/v1/latest', '/api/v1/series', '/api/v1/devices', '/api/v1/devices/tr-x', '/api/v1/deadletters', '/api/v1/boundary',
      '/api/v1/export', '/api/v1/live', '/api/v1/alerts', '/api/v1/kpis', '/api/v1/rules', '/readyz', '/healthz', '/openapi.json', '/asyncapi.json', '/api/v1/nope'];
    const statuses = new Map<number, number>();
    for (let i = 0; i < 1500; i++) {
      const qs = Array.from({ length: rnd(5) }, () => `${keys[rnd(keys.length)]}=${values[rnd(values.length)]}`).join('&');
      const url = `${paths[rnd(paths.length)]}?${qs}`;
      const r = await get(url, rnd(2) ? operator : undefined);
      statuses.set(r.statusCode, (statuses.get(r.statusCode) ?? 0) + 1);
      // 503 only where this app has no such part (rules, alerts): never a 500.
      expect([200, 400, 401, 403, 404, 426, 503], url).toContain(r.statusCode);
      if (r.statusCode >= 400) expect(Object.entries(r.json<{ error: object }>().error).map(([k, v]) => `${k}:${typeof v}`), url).toEqual(['code:string', 'message:string']);
    }
    // The inputs reach both sides: some are answered, most are refused with a reason.
    expect(statuses.get(200)).toBeGreaterThan(100);
    expect(statuses.get(400)).toBeGreaterThan(300);
  }, 60_000);

  it('never shows a field its schema does not name, such as a secret hash', async () => {
    const leaky = await buildApp({
      store, catalogue: loadCatalogue(), boundary: {}, live: new EventEmitter(), auth: { verify: () => ({ id: 'x', role: 'operator' }) },
      registry: { ...registry, list: () => registry.list(), get: (id: string) => { const d = registry.get(id); return d && { ...d, secret: 'plain' }; }, add: (i) => registry.add(i), setEnabled: (id, e) => registry.setEnabled(id, e) },
    });
    try {
      const id = registry.list()[0]!.id;
      const r = await leaky.inject({ url: `/api/v1/devices/${id}`, headers: { authorization: 'Bearer t' } });
      expect(r.statusCode).toBe(200);
      expect(r.json()).toMatchObject({ id });
      expect(r.body).not.toMatch(/secret|scrypt/);
    } finally {
      await leaky.close();
    }
  });

  it('closes public reading when the city asks, letting tokens in', async () => {
    const closedApp = await buildApp({ store, catalogue: loadCatalogue(), boundary: {}, live: new EventEmitter(), publicRead: false, auth: { verify: (t) => (t === 'ok' ? { id: 'x', role: 'operator' } : null) } });
    try {
      expect((await closedApp.inject({ url: '/api/v1/assets' })).statusCode).toBe(401);
      expect((await closedApp.inject({ url: '/api/v1/assets', headers: { authorization: 'Bearer ok' } })).statusCode).toBe(200);
      expect((await closedApp.inject({ url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await closedApp.close();
    }
  });
});
