import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { LiveMessage, LiveReading } from '@cityhub/contracts';
import { buildApp } from './app.js';
import { CLOSE_TOO_SLOW } from './live-feed.js';
import { openHarness, type Harness } from '../testing/harness.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LINKS = Array.from({ length: 10 }, (_, i) => `link-${i + 1}`);

/** The paused TCP socket under a ws client: the client stops reading, the server's sends pile up. */
const pause = (ws: WebSocket) => (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
const resume = (ws: WebSocket) => (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.resume();
/** The readings of every `readings` frame, in order. */
const readingsOf = (messages: readonly LiveMessage[]): LiveReading[] => messages.flatMap((m) => (m.type === 'readings' ? m.readings : m.type === 'reading' ? [m] : []));

describe('/live with slow and filtered clients, readings from a real ingest', () => {
  let h: Harness & { liveBuffered(): number };
  let base: string;
  let seq = 0;
  const devices: string[] = [];

  beforeAll(async () => {
    const harness = await openHarness({ liveLimits: { coalesceAboveBytes: 64 * 1024, maxLagMs: 1_000, tickMs: 20, closeGraceMs: 5_000 } });
    h = Object.assign(harness, { liveBuffered: () => [...harness.app.websocketServer.clients].reduce((n, c) => n + c.bufferedAmount, 0) });
    for (const [i, link] of LINKS.entries()) devices.push((await h.registry.add({ kind: 'traffic', asset: link, id: `tr-live-${i}` })).id);
    await h.registry.add({ kind: 'wifi', asset: 'hotspot-rotunda', id: 'wf-live-0' });
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    base = `ws://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => h.close());

  /** One array of `n` readings per traffic device through ingest.accept; returns the newest speed per link. */
  async function pump(n: number): Promise<Map<string, number>> {
    const newest = new Map<string, number>();
    const t0 = Date.now() - 3_600_000;
    for (const [i, dev] of devices.entries()) {
      const readings = Array.from({ length: n }, () => {
        seq++;
        return { ts: t0 + seq, seq, speed_kmh: (seq % 2000) / 10 };
      });
      const r = await h.ingest.accept(dev, `city/traffic/${dev}/telemetry`, Buffer.from(JSON.stringify(readings)));
      expect(r.accepted).toBe(n);
      newest.set(LINKS[i]!, readings.at(-1)!.speed_kmh);
    }
    return newest;
  }

  /** A WebSocket on /live that keeps what it receives. */
  async function open(query = '', url = base): Promise<{ ws: WebSocket; messages: LiveMessage[]; closed: Promise<[number, Buffer]> }> {
    const ws = new WebSocket(`${url}/api/v1/live${query}`);
    const messages: LiveMessage[] = [];
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      // Text frames only: a browser hands a binary frame to `onmessage` as a Blob, which the dashboard cannot read as JSON.
      if (isBinary) throw new Error('the live feed sent a binary frame');
      messages.push(JSON.parse(data.toString()) as LiveMessage);
    });
    const closed = once(ws, 'close') as Promise<[number, Buffer]>;
    await once(ws, 'open');
    await expect.poll(() => messages.length).toBeGreaterThan(0);
    return { ws, messages, closed };
  }

  it('sends each tick\'s readings as one frame, and only the newest per asset to a client that fell behind', async () => {
    const slow = await open('?kind=traffic');
    const fast = await open('?kind=traffic');
    try {
      pause(slow.ws);
      let newest = new Map<string, number>();
      let sent = 0;
      // Until the server holds more than the threshold (64 KiB) unsent for the paused client, then as much again.
      for (let round = 0; round < 40 && h.liveBuffered() <= 96 * 1024; round++) {
        newest = await pump(1_000);
        sent += 1_000 * devices.length;
        await sleep(30);
      }
      await expect.poll(() => readingsOf(fast.messages).length, { timeout: 10_000 }).toBe(sent);
      // Every frame is a tick's batch: far fewer frames than readings.
      expect(fast.messages.length).toBeLessThan(sent / 100);
      resume(slow.ws);
      const last = () => new Map(readingsOf(slow.messages).map((r) => [r.asset, r.values.speed_kmh]));
      await expect.poll(() => LINKS.every((l) => last().get(l) === newest.get(l)), { timeout: 10_000, interval: 50 }).toBe(true);
      expect(readingsOf(slow.messages).length).toBeLessThan(sent);
    } finally {
      slow.ws.terminate();
      fast.ws.terminate();
    }
  }, 60_000);

  it('disconnects with 4008 a client that stays behind, and frees what it held', async () => {
    const { ws: client, messages, closed } = await open('?kind=traffic');
    pause(client);
    // Readings until the server holds more than the app's threshold (64 KiB) unsent for this client…
    for (let round = 0; round < 40 && h.liveBuffered() <= 64 * 1024; round++) {
      await pump(1_000);
      await sleep(30);
    }
    expect(h.liveBuffered()).toBeGreaterThan(64 * 1024);
    // …and for longer than its lag limit (1 s).
    const started = Date.now();
    while (Date.now() - started < 1_300) {
      await pump(100);
      await sleep(50);
    }
    resume(client);
    const [code, reason] = await closed;
    expect(code).toBe(CLOSE_TOO_SLOW);
    expect(reason.toString()).toMatch(/too slow/);
    expect(messages[0]).toMatchObject({ type: 'hello', kinds: ['traffic'], assets: null });
    // The server let go of the connection: new readings reach no one and nobody listens for them.
    await expect.poll(() => h.ingest.listenerCount('points')).toBe(0);
  }, 30_000);

  it('sends only the kinds and assets asked for', async () => {
    const only = new WebSocket(`${base}/api/v1/live?kind=wifi,traffic&asset=hotspot-rotunda,link-2`);
    const wifi = new WebSocket(`${base}/api/v1/live?kind=wifi`);
    const got = { only: [] as LiveMessage[], wifi: [] as LiveMessage[] };
    only.on('message', (d: Buffer) => got.only.push(JSON.parse(d.toString()) as LiveMessage));
    wifi.on('message', (d: Buffer) => got.wifi.push(JSON.parse(d.toString()) as LiveMessage));
    await Promise.all([once(only, 'open'), once(wifi, 'open')]);
    try {
      await pump(3);
      await h.ingest.accept('wf-live-0', 'city/wifi/wf-live-0/telemetry', Buffer.from(JSON.stringify({ ts: Date.now() - 1_000, seq: 1, clients: 12 })));
      await expect.poll(() => readingsOf(got.only).length).toBe(4);
      await expect.poll(() => readingsOf(got.wifi).length).toBe(1);
      expect(got.only[0]).toEqual({ type: 'hello', kinds: ['wifi', 'traffic'], assets: ['hotspot-rotunda', 'link-2'] });
      const readings = readingsOf(got.only);
      expect(new Set(readings.map((m) => m.asset))).toEqual(new Set(['link-2', 'hotspot-rotunda']));
      expect(readingsOf(got.wifi)[0]).toMatchObject({ kind: 'wifi', asset: 'hotspot-rotunda', device: 'wf-live-0', values: { clients: 12 } });
    } finally {
      only.close();
      wifi.close();
    }
  });

  it('refuses a bad query before the upgrade, and a plain GET with 426', async () => {
    const bad = new WebSocket(`${base}/api/v1/live?kind=trams`);
    bad.on('error', () => undefined);
    const [, res] = (await once(bad, 'unexpected-response')) as [unknown, { statusCode: number }];
    expect(res.statusCode).toBe(400);
    bad.terminate();
    const plain = await h.app.inject({ url: '/api/v1/live' });
    expect(plain.statusCode).toBe(426);
    expect(plain.headers.upgrade).toBe('websocket');
    expect(plain.json()).toMatchObject({ error: { code: 'UPGRADE_REQUIRED' } });
  });

  it('asks for a token when public reading is off, from the header or ?token= (browsers)', async () => {
    const app = await buildApp({ ...h.deps, publicRead: false });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v1/live`;
    try {
      const anonymous = new WebSocket(url);
      anonymous.on('error', () => undefined);
      const [, res] = (await once(anonymous, 'unexpected-response')) as [unknown, { statusCode: number }];
      expect(res.statusCode).toBe(401);
      anonymous.terminate();
      for (const ws of [new WebSocket(`${url}?token=${h.operator}`), new WebSocket(url, { headers: { authorization: `Bearer ${h.operator}` } })]) {
        const [data] = (await once(ws, 'message')) as [Buffer];
        expect(JSON.parse(data.toString())).toMatchObject({ type: 'hello' });
        ws.close();
      }
    } finally {
      await app.close();
    }
  });
});
