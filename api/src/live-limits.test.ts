import { EventEmitter, once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { AlertEvent, LiveMessage } from '@cityhub/contracts';
import type { Point } from '@cityhub/store';
import { CLOSE_TOO_MANY, CLOSE_TOO_SLOW } from './live-feed.js';
import { openHarness, type Harness } from '../testing/harness.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pause = (ws: WebSocket) => (ws as unknown as { _socket: { pause(): void } })._socket.pause();

interface Client { ws: WebSocket; messages: LiveMessage[]; closed: Promise<[number, Buffer]>; hello: Promise<boolean> }

function connect(url: string): Client {
  const ws = new WebSocket(url);
  const messages: LiveMessage[] = [];
  let helloed!: (v: boolean) => void;
  const hello = new Promise<boolean>((r) => { helloed = r; });
  ws.on('message', (d: Buffer) => {
    messages.push(JSON.parse(d.toString()) as LiveMessage);
    helloed(true);
  });
  const closed = once(ws, 'close') as Promise<[number, Buffer]>;
  void closed.then(() => helloed(false));
  ws.on('error', () => undefined);
  return { ws, messages, closed, hello };
}

/** Readings of one link, `n` of them, each with a payload of about `pad` bytes. */
function points(n: number, pad = 0): Point[] {
  const t0 = Date.now() - 60_000;
  return Array.from({ length: n }, (_, i) => ({ kind: 'traffic', asset: `link-${1 + (i % 10)}`, device: `tr-${i % 10}`, ts: t0 + i, seq: i, values: { speed_kmh: i, ...(pad && { [`m${'x'.repeat(pad)}`]: 1 }) } }));
}

describe('/live bounds: clients per address and in all, buffered bytes in all; alert times', () => {
  let h: Harness;
  let url: string;
  const live = new EventEmitter<{ points: [Point[]] }>();
  const alerts = new EventEmitter<{ event: [AlertEvent] }>();

  beforeAll(async () => {
    h = await openHarness({
      live,
      alerts: { events: alerts, acknowledge: async () => null, deliveries: () => [] },
      liveLimits: { tickMs: 20, maxClients: 6, maxClientsPerAddress: 4, maxBufferedBytes: 256 * 1024, coalesceAboveBytes: 1024 * 1024, maxLagMs: 60_000, closeGraceMs: 20_000 },
    });
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    url = `ws://127.0.0.1:${(h.app.server.address() as AddressInfo).port}/api/v1/live`;
  });
  afterAll(async () => h.close());

  it('closes one client over the per-address limit with 4029, and takes a new one once a slot is free', async () => {
    const four = Array.from({ length: 4 }, () => connect(url));
    expect(await Promise.all(four.map((c) => c.hello))).toEqual([true, true, true, true]);
    const fifth = connect(url);
    const [code, reason] = await fifth.closed;
    expect(code).toBe(CLOSE_TOO_MANY);
    expect(reason.toString()).toMatch(/more than 4 live clients from this address/);
    four[0]!.ws.close();
    await four[0]!.closed;
    const again = connect(url);
    expect(await again.hello).toBe(true);
    for (const c of [...four, again]) c.ws.terminate();
    await sleep(100);
  });

  it('closes one client over the total with 4029, whatever its address', async () => {
    // Through X-Forwarded-For would need trustProxy; a second app with a total of 2 shows the same rule.
    const { buildApp } = await import('./app.js');
    const app = await buildApp({ ...h.deps, liveLimits: { maxClients: 2, maxClientsPerAddress: 100 } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const u = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v1/live`;
    try {
      const two = [connect(u), connect(u)];
      expect(await Promise.all(two.map((c) => c.hello))).toEqual([true, true]);
      const [code, reason] = await connect(u).closed;
      expect(code).toBe(CLOSE_TOO_MANY);
      expect(reason.toString()).toMatch(/more than 2 live clients/);
      for (const c of two) c.ws.terminate();
    } finally {
      await app.close();
    }
  });

  it('sends the newest reading per asset only when a tick\'s frames to every client would pass the fan-out budget', async () => {
    const { buildApp } = await import('./app.js');
    const app = await buildApp({ ...h.deps, liveLimits: { tickMs: 20, maxFanoutBytesPerTick: 64 * 1024 } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const u = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v1/live`;
    try {
      const two = [connect(u), connect(u)];
      await Promise.all(two.map((c) => c.hello));
      // ~15 KB of readings for two clients: within the budget, sent whole.
      live.emit('points', points(100));
      await expect.poll(() => two[1]!.messages.length).toBe(2);
      // ~750 KB for two clients: only the newest of each of the 10 links.
      live.emit('points', points(5_000));
      await expect.poll(() => two[1]!.messages.length).toBe(3);
      for (const c of two) {
        const [, whole, newest] = c.messages;
        expect(whole?.type === 'readings' && whole.readings.length).toBe(100);
        expect(newest?.type === 'readings' && newest.readings.map((r) => r.values.speed_kmh!).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => 4_990 + i));
        c.ws.terminate();
      }
    } finally {
      await app.close();
    }
  });

  it('sends one frame per tick shared by clients of one filter, and alert times as ISO 8601', async () => {
    const a = connect(`${url}?kind=traffic`);
    const b = connect(`${url}?kind=traffic`);
    await Promise.all([a.hello, b.hello]);
    live.emit('points', points(30));
    live.emit('points', points(20));
    alerts.emit('event', { id: 'x:opened', alert: 'x', rule: 'congestion', kind: 'traffic', asset: 'link-1', severity: 'warning', state: 'opened', at: Date.UTC(2026, 0, 1), value: 3, message: 'm', by: null });
    await expect.poll(() => b.messages.length).toBe(3);
    expect(a.messages.map((m) => m.type)).toEqual(b.messages.map((m) => m.type));
    const batch = a.messages.find((m) => m.type === 'readings');
    expect(batch?.type === 'readings' && batch.readings.length).toBe(50);
    expect(a.messages.find((m) => m.type === 'alert')).toMatchObject({ type: 'alert', event: { at: '2026-01-01T00:00:00.000Z' } });
    a.ws.terminate();
    b.ws.terminate();
    await sleep(100);
  });

  it('coalesces, then drops with 4008, the slowest clients once the buffered total is over its bound', async () => {
    const slow = [connect(`${url}?kind=traffic`), connect(`${url}?kind=traffic`)];
    const fast = connect(`${url}?kind=traffic`);
    await Promise.all([...slow, fast].map((c) => c.hello));
    for (const c of slow) pause(c.ws);
    // ~600 KB per tick: the paused clients' buffers pass the 256 KiB total at once.
    for (let i = 0; i < 40; i++) {
      live.emit('points', points(200, 3_000));
      await sleep(25);
    }
    // They read again: what was sent, then the close frame.
    for (const c of slow) (c.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const closes = await Promise.all(slow.map((c) => c.closed));
    for (const [code, reason] of closes) {
      expect(code).toBe(CLOSE_TOO_SLOW);
      expect(reason.toString()).toMatch(/buffers are full/);
    }
    // The client that reads kept getting readings throughout.
    expect(fast.messages.filter((m) => m.type === 'readings').length).toBeGreaterThan(10);
    fast.ws.terminate();
  }, 30_000);
});
