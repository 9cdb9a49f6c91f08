import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isReadingKind, parseTopic, validateTelemetry } from '@cityhub/contracts';
import { findAsset } from '@cityhub/contracts/catalogue';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openRegistry, type FileRegistry } from '@cityhub/devices';
import { backfillReadings, backfillStart } from '../src/backfill.js';
import { createFleetModels, retrofitDaysAgoFor, type FleetModels } from '../src/fleet-models.js';
import { buildingParams, powerAt } from '../src/models/energy.js';
import { linkParams, trafficAt } from '../src/models/traffic.js';
import { wifiAt } from '../src/models/wifi.js';
import type { SimDeviceState } from '../src/sim-state.js';
import { startSimulation, type Simulation } from '../src/simulation.js';
import { startTestBroker, until, type Seen, type TestBroker } from './broker.fixture.js';

const DAY = 86_400_000;
const STEP = 5 * 60_000;

interface Reading { ts: number; seq: number; [k: string]: number }
interface Message { device: string; readings: Reading[]; array: boolean }

let dataDir: string;
let registry: FileRegistry;
let broker: TestBroker;
const sims: Simulation[] = [];

function messages(seen: Seen[]): Message[] {
  return seen.flatMap((s) => {
    const t = parseTopic(s.topic);
    if (!t || t.channel !== 'telemetry') return [];
    const data = JSON.parse(s.payload) as Reading | Reading[];
    return [{ device: t.deviceId, readings: Array.isArray(data) ? data : [data], array: Array.isArray(data) }];
  });
}

/**
 * One device's messages: history arrays (at most 200 readings, STEP apart, at the models' values) before its
 * live readings, sequence numbers without a gap, time always moving on, and a meter counter that never decreases.
 */
function expectDeviceHistory(id: string, all: Message[], models: FleetModels): void {
  const mine = all.filter((m) => m.device === id);
  const firstLive = mine.findIndex((m) => !m.array);
  // Every array comes before the first live reading, and none is larger than the chunk.
  expect(mine.slice(firstLive).every((m) => !m.array)).toBe(true);
  expect(mine.slice(0, firstLive).every((m) => m.readings.length <= 200)).toBe(true);
  const readings = mine.flatMap((m) => m.readings);
  expect(readings.map((r) => r.seq)).toEqual(readings.map((_, i) => i));
  for (let i = 1; i < readings.length; i++) expect(readings[i]!.ts).toBeGreaterThan(readings[i - 1]!.ts);
  const history = mine.slice(0, firstLive).flatMap((m) => m.readings);
  for (let i = 1; i < history.length; i++) expect(history[i]!.ts - history[i - 1]!.ts).toBe(STEP);
  // History reaches up to where live readings start.
  expect(readings[history.length]!.ts - history.at(-1)!.ts).toBeLessThanOrEqual(STEP + 1_000);

  const asset = findAsset(id.replace(/^sim-/, ''))!;
  const p = asset.properties;
  for (const r of history) {
    const { ts, seq: _seq, ...values } = r;
    if (p.kind === 'traffic') expect(values).toEqual(trafficAt(p, ts, linkParams(p), models.incidents.cut(p.id, ts)));
    if (p.kind === 'wifi') expect(values).toEqual(wifiAt(p, ts, models.wifi));
    if (p.kind === 'energy') expect(values.power_kw).toBe(powerAt(p, ts, buildingParams(p, models.clock, models.retrofitAt)));
  }
  if (p.kind === 'energy') {
    const kwh = readings.map((r) => r.energy_kwh!);
    for (let i = 1; i < kwh.length; i++) expect(kwh[i]!).toBeGreaterThanOrEqual(kwh[i - 1]!);
    expect(kwh.at(-1)! - kwh[0]!).toBeGreaterThan(0);
  }
}

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cityhub-backfill-'));
  registry = await openRegistry(dataDir);
  broker = await startTestBroker(registry, 3);
});

afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.stop()));
  await broker.close();
  await registry.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('backfillStart and backfillReadings', () => {
  const state = (extra: Partial<SimDeviceState> = {}): SimDeviceState =>
    ({ kind: 'traffic', asset: 'link-1', secret: 's', secret_hash: 'h', next_seq: 10, ...extra });
  const now = Date.UTC(2025, 5, 10, 12, 2, 31);

  it('starts days back on the step grid, after the last reading, within the retention', () => {
    expect(backfillStart(state(), now, { days: 2, stepMs: STEP })).toBe(Math.ceil((now - 2 * DAY) / STEP) * STEP);
    expect(backfillStart(state({ last_ts: now - 3_600_000 + 1 }), now, { days: 2, stepMs: STEP }))
      .toBe((Math.floor((now - 3_600_000 + 1) / STEP) + 1) * STEP);
    // 30 days against a 30-day retention: a margin keeps the oldest readings acceptable to the hub.
    const start = backfillStart(state(), now, { days: 30, stepMs: STEP, maxAgeMs: 30 * DAY });
    expect(start).toBeGreaterThan(now - 30 * DAY);
    expect(start).toBeLessThan(now - 30 * DAY + 20 * 60_000);
  });

  it('makes the readings lazily in arrays of at most the chunk, with continuous sequence numbers', () => {
    const asset = findAsset('link-5')!;
    const s = state();
    const from = backfillStart(s, now, { days: 1, stepMs: STEP });
    const batches = [...backfillReadings(asset, s, from, now, STEP, 100)];
    const all = batches.flat();
    expect(batches.slice(0, -1).every((b) => b.length === 100)).toBe(true);
    expect(all).toHaveLength(Math.ceil((now - from) / STEP));
    expect(all.map((r) => r.seq)).toEqual(all.map((_, i) => 10 + i));
    expect(s.next_seq).toBe(10 + all.length);
    expect(s.last_ts).toBe(all.at(-1)!.ts);
    expect(all.at(-1)!.ts).toBeLessThan(now);
    expect([...backfillReadings(asset, state(), from, now, STEP, 50_000)][0]).toHaveLength(all.length);
    expect(() => [...backfillReadings(asset, state(), from, now, 0)]).toThrow(RangeError);
  });
});

describe('a simulation with a backfill', () => {
  it('publishes the history of every device over MQTT before live readings, at the models’ values, without gaps', async () => {
    const seen = await broker.observe('city/+/+/telemetry');
    const t0 = Date.now();
    const sim = await startSimulation({
      mqttUrl: broker.url, registry, dataDir, count: 6, intervalMs: 200,
      models: { seed: 3 }, outages: { perHour: 0 },
      backfill: { days: 2, stepMs: STEP, chunk: 200, maxInflight: 3 },
    });
    sims.push(sim);
    const report = (await sim.backfilled)!;
    expect(report.devices).toBe(6);
    expect(report.skipped).toBe(0);
    expect(report.readings).toBeGreaterThanOrEqual(6 * (2 * DAY / STEP) - 6);
    expect(report.readings).toBeLessThanOrEqual(6 * (2 * DAY / STEP) + 6);
    expect(report.from).toBeGreaterThanOrEqual(t0 - 2 * DAY);
    expect(report.from).toBeLessThan(t0 - 2 * DAY + STEP);
    expect(sim.stats().backfilled).toBe(report.readings);
    // In flight at once: never more than asked for.
    expect(broker.maxPending()).toBeLessThanOrEqual(3);
    expect(broker.maxPending()).toBeGreaterThanOrEqual(2);

    await until(() => {
      const live = messages(seen).filter((m) => !m.array);
      return new Set(live.map((m) => m.device)).size === 6 && live.length >= 18;
    }, 10_000, 'live readings from all 6 devices');
    const all = messages(seen);
    // The fleet goes through the history a day at a time, as it would have arrived live: the store gets
    // batches spanning a day, not weeks.
    const days = all.filter((m) => m.array).map((m) => Math.floor(m.readings[0]!.ts / DAY));
    expect(days).toEqual([...days].sort((a, b) => a - b));
    for (const m of all.filter((x) => x.array)) expect(Math.floor(m.readings.at(-1)!.ts / DAY)).toBe(Math.floor(m.readings[0]!.ts / DAY));
    // The retrofit falls half way through the backfill (a day ago here).
    const models = createFleetModels({ seed: 3, retrofitDaysAgo: retrofitDaysAgoFor(2) });
    const devices = new Set(all.map((m) => m.device));
    expect(devices.size).toBe(6);
    for (const id of devices) expectDeviceHistory(id, all, models);
    // What the hub would check: schema, ranges and clock (2 days is within the 30-day retention).
    for (const m of all) {
      const kind = parseTopic(`city/${findAsset(m.device.replace(/^sim-/, ''))!.properties.kind}/${m.device}/telemetry`)!.kind;
      if (!isReadingKind(kind)) throw new Error(`the simulator published as a ${kind}`);
      expect(validateTelemetry(kind, m.readings, { now: Date.now() }).rejected).toEqual([]);
    }

    // A second run continues: its backfill covers only the time since the last reading.
    await sim.stop();
    // Deliveries to the observer follow the PUBACKs the stop waited for.
    await new Promise((r) => setTimeout(r, 300));
    const before = messages(seen);
    const lastSeq = new Map([...devices].map((id) => [id, Math.max(...before.filter((m) => m.device === id).flatMap((m) => m.readings.map((r) => r.seq)))]));
    const mark = seen.length;
    const sim2 = await startSimulation({
      mqttUrl: broker.url, registry, dataDir, count: 6, intervalMs: 200, models: { seed: 3 }, outages: { perHour: 0 },
      backfill: { days: 2, stepMs: 1_000, maxInflight: 3 },
    });
    sims.push(sim2);
    const again = (await sim2.backfilled)!;
    expect(again.readings).toBeLessThan(6 * 10);
    await until(() => new Set(messages(seen.slice(mark)).map((m) => m.device)).size === 6, 10_000, 'readings after the restart');
    // Each device's first reading after the restart continues its sequence.
    const after = messages(seen.slice(mark));
    for (const [id, last] of lastSeq) expect(after.find((m) => m.device === id)!.readings[0]!.seq).toBe(last + 1);
  }, 40_000);
});
