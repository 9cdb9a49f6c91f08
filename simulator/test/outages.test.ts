import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTopic } from '@cityhub/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openRegistry, type FileRegistry } from '@cityhub/devices';
import { createOutages } from '../src/outages.js';
import { startSimulation, type Simulation } from '../src/simulation.js';
import { startTestBroker, until, type TestBroker } from './broker.fixture.js';

const HOUR = 3_600_000;
const MIN = 60_000;

describe('createOutages', () => {
  const t0 = Date.UTC(2025, 2, 3);

  it('cuts a device off at most once an hour, for minMs–maxMs, as often as asked', () => {
    const outages = createOutages({ perHour: 0.25, graceMs: 0 }, t0);
    const found = new Map<number, { start: number; end: number }>();
    for (let seed = 1; seed <= 200; seed++) {
      for (let t = t0; t < t0 + 24 * HOUR; t += MIN) {
        const o = outages(seed * 7919, t);
        if (!o) continue;
        found.set(seed * 1e13 + o.start, o);
        expect(t).toBeGreaterThanOrEqual(o.start);
        expect(t).toBeLessThan(o.end);
        expect(o.end - o.start).toBeGreaterThanOrEqual(2 * MIN);
        expect(o.end - o.start).toBeLessThanOrEqual(15 * MIN);
      }
    }
    // 200 devices × 24 h × 0.25, give or take (a minute grid misses a few very short ones at hour ends).
    expect(found.size).toBeGreaterThan(1200 * 0.8);
    expect(found.size).toBeLessThan(1200 * 1.2);
  });

  it('spares the first minutes after the start, is deterministic, and can be turned off', () => {
    const a = createOutages({ perHour: 1 }, t0);
    const b = createOutages({ perHour: 1 }, t0);
    for (let t = t0; t < t0 + 10 * MIN; t += 10_000) expect(a(42, t)).toBeNull();
    const hits = Array.from({ length: 600 }, (_, i) => a(42, t0 + 10 * MIN + i * 10_000));
    expect(hits.some(Boolean)).toBe(true);
    expect(hits).toEqual(Array.from({ length: 600 }, (_, i) => b(42, t0 + 10 * MIN + i * 10_000)));
    const off = createOutages({ perHour: 0 }, t0);
    for (let t = t0; t < t0 + 24 * HOUR; t += MIN) expect(off(42, t)).toBeNull();
  });
});

describe('devices in an outage', () => {
  let dataDir: string;
  let registry: FileRegistry;
  let broker: TestBroker;
  let sim: Simulation | undefined;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cityhub-outage-'));
    registry = await openRegistry(dataDir);
    broker = await startTestBroker(registry);
  });

  afterEach(async () => {
    await sim?.stop();
    await broker.close();
    await registry.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('drop off without a DISCONNECT (their last will says offline), come back and flush what they buffered', async () => {
    const status = await broker.observe('city/+/+/status');
    const telemetry = await broker.observe('city/+/+/telemetry');
    // Device time runs 600× faster: an hour passes in 6 s, and every device has an outage in every hour.
    const start = Date.now();
    const clock = () => start + (Date.now() - start) * 600;
    sim = await startSimulation({
      mqttUrl: broker.url, registry, dataDir, count: 3, intervalMs: 100, clock,
      outages: { perHour: 1, minMs: 4 * MIN, maxMs: 8 * MIN, graceMs: 0 },
    });
    const running = sim;
    const statusByDevice = () => {
      const byDevice = new Map<string, string[]>();
      for (const s of status) {
        const t = parseTopic(s.topic)!;
        byDevice.set(t.deviceId, [...(byDevice.get(t.deviceId) ?? []), s.payload]);
      }
      return byDevice;
    };
    // Each device went through an outage: its will said offline, and it said online again once back.
    const backAgain = () => [...statusByDevice().values()].filter((seq) => seq.lastIndexOf('online') > seq.indexOf('offline') && seq.includes('offline')).length;
    await until(() => running.stats().outages >= 3 && backAgain() === 3 && running.stats().offline === 0 && running.stats().buffered === 0
      && telemetry.some((s) => s.payload.startsWith('[')), 20_000, 'an outage of each device, then reconnection and a flush');

    // Nothing lost: per device, sequence numbers run without a gap across the outages (a message resent after
    // the reconnection may reach the observer after the flush that followed it, so wait for it a little).
    const sequences = (): number[][] => {
      const readings = new Map<string, number[]>();
      for (const s of telemetry) {
        const t = parseTopic(s.topic)!;
        const data = JSON.parse(s.payload) as { seq: number } | { seq: number }[];
        readings.set(t.deviceId, [...(readings.get(t.deviceId) ?? []), ...(Array.isArray(data) ? data : [data]).map((r) => r.seq)]);
      }
      return [...readings.values()].map((seqs) => [...new Set(seqs)].sort((a, b) => a - b));
    };
    await until(() => sequences().every((sorted) => sorted.at(-1) === sorted.length - 1), 5_000, 'every sequence number').catch(() => undefined);
    for (const sorted of sequences()) expect(sorted).toEqual(sorted.map((_, i) => i));
    expect(running.stats().dropped).toBe(0);
  }, 30_000);
});
