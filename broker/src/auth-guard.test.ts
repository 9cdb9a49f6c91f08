import { silentLogger } from '@cityhub/contracts';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthGuard, AUTH_LIMITS } from './auth-guard.js';
import { createBroker, type RunningBroker } from './broker.js';

const quiet = silentLogger;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('AuthGuard', () => {
  it('lets a few failures pass, then backs off exponentially up to the cap, per id and per address', () => {
    let now = 1_000_000;
    const g = new AuthGuard({ ...AUTH_LIMITS, freeFailuresPerId: 2, freeFailuresPerAddress: 100, baseBackoffMs: 1_000, maxBackoffMs: 8_000 }, () => now);
    g.failed('d1', 'a');
    g.failed('d1', 'a');
    expect(g.holdBack('d1', 'a')).toBeNull();
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      g.failed('d1', 'a');
      waits.push(Number(/retry in (\d+) s/.exec(g.holdBack('d1', 'a') ?? '')?.[1]));
    }
    expect(waits).toEqual([1, 2, 4, 8, 8, 8]);
    // Another id from the same address is not held back (the address has 100 free failures)…
    expect(g.holdBack('d2', 'a')).toBeNull();
    // …and the back-off ends.
    now += 8_001;
    expect(g.holdBack('d1', 'a')).toBeNull();
  });

  it('backs off an address that guesses many ids', () => {
    const g = new AuthGuard({ ...AUTH_LIMITS, freeFailuresPerAddress: 5 });
    for (let i = 0; i < 6; i++) g.failed(`d${i}`, 'b');
    expect(g.holdBack('d-new', 'b')).toMatch(/too many failed attempts/);
    expect(g.holdBack('d-new', 'c')).toBeNull();
  });

  it('runs the logins of one id one after the other, and a bounded number of checks per address', async () => {
    const g = new AuthGuard({ ...AUTH_LIMITS, maxPendingPerAddress: 2 });
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const first = g.serial('d1', async () => { await gate; order.push('first'); return 1; });
    const second = g.serial('d1', async () => { order.push('second'); return 2; });
    const other = g.serial('d2', async () => { order.push('other'); return 3; });
    expect(await other).toBe(3);
    release();
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(order).toEqual(['other', 'first', 'second']);
    let open!: () => void;
    const held = new Promise<void>((r) => { open = r; });
    const checks = [g.check('d3', 'a', async () => { await held; return null; }), g.check('d4', 'a', async () => { await held; return null; })];
    // An address with no failed login is not capped: a fleet behind it reconnecting after a restart waits its turn.
    expect(g.holdBack('d5', 'a')).toBeNull();
    g.failed('d9', 'a');
    expect(g.holdBack('d5', 'a')).toMatch(/too many checks/);
    open();
    await Promise.all(checks);
    expect(g.holdBack('d5', 'a')).toBeNull();
  });

  it('forgets the oldest entries beyond maxTracked', () => {
    const g = new AuthGuard({ ...AUTH_LIMITS, freeFailuresPerId: 0, freeFailuresPerAddress: 1_000, maxTracked: 10 });
    for (let i = 0; i < 20; i++) g.failed(`d${i}`, 'a');
    expect(g.holdBack('d0', 'a')).toBeNull();
    expect(g.holdBack('d19', 'a')).toMatch(/too many failed attempts/);
  });
});

const LIMITS = { ...AUTH_LIMITS, baseBackoffMs: 10_000, refusalDelayMs: 300 };

describe('a wrong-password flood on a real aedes', () => {
  let broker: RunningBroker;
  let url: string;
  let slowChecks = 0;
  const verified = new Set<string>();
  const clients: MqttClient[] = [];

  beforeEach(async () => {
    slowChecks = 0;
    verified.clear();
    broker = await createBroker({
      logger: quiet,
      // A long first back-off, so that the refusals' own delay cannot outlast it in this test.
      authLimits: LIMITS,
      hooks: {
        // A slow check (like scrypt) and a cache of secrets verified before (like the registry's).
        authenticate: async (id, secret, opts) => {
          const right = id === 'tr-0001' && secret === 'right-secret';
          if (opts?.cachedOnly) return right && verified.has(secret) ? { id, kind: 'traffic' } : null;
          slowChecks++;
          await sleep(20);
          if (right) verified.add(secret);
          return right ? { id, kind: 'traffic' } : null;
        },
        telemetry: async () => {},
        denied: async () => {},
      },
    });
    url = `mqtt://127.0.0.1:${await broker.listen('127.0.0.1', 0)}`;
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.end(true);
    await broker.close();
  });

  const connect = (password: string) => mqtt.connectAsync(url, { clientId: 'tr-0001', username: 'tr-0001', password, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 20_000 });

  it('answers 300 concurrent wrong passwords quickly with few slow checks, and the device still reconnects', async () => {
    const device = await connect('right-secret');
    clients.push(device);
    const started = Date.now();
    const results = await Promise.allSettled(Array.from({ length: 300 }, (_, i) => connect(`guess-${i}`)));
    const elapsed = Date.now() - started;
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    const reasons = new Set(results.map((r) => (r.status === 'rejected' ? String((r.reason as Error).message) : '')));
    expect([...reasons].some((m) => /not authori[sz]ed/i.test(m))).toBe(true);
    // One slow check at a time for one id: nearly all were answered without one.
    expect(slowChecks).toBeLessThan(30);
    // Generous: 300 slow checks one after the other would take at least 6 s.
    expect(elapsed).toBeLessThan(6_000);
    // While others are checked or the id backs off, its own device's secret, verified before, gets in at once.
    const again = await connect('right-secret');
    clients.push(again);
    const ack = await again.publishAsync('city/traffic/tr-0001/telemetry', '{}', { qos: 1 });
    expect(ack).toBeDefined();
    // A few more checked failures, one after the other, and the id backs off: refused without a check.
    for (let i = 0; i < AUTH_LIMITS.freeFailuresPerId; i++) await expect(connect(`more-${i}`)).rejects.toThrow();
    const checks = slowChecks;
    const asked = Date.now();
    await expect(connect('another-guess')).rejects.toThrow(/not authori[sz]ed/i);
    expect(slowChecks).toBe(checks);
    // That refusal came after the delay that slows a flood down, not at once.
    expect(Date.now() - asked).toBeGreaterThanOrEqual(LIMITS.refusalDelayMs / 2 - 20);
  }, 30_000);
});
