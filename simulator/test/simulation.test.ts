import { readFile, rm, stat, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isReadingKind, parseTopic, validateTelemetry, type Kind } from '@cityhub/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openRegistry, type FileRegistry } from '@cityhub/devices';
import { simStatePath, type SimState } from '../src/sim-state.js';
import { startSimulation, type Simulation } from '../src/simulation.js';
import { startTestBroker, until, type Seen, type TestBroker } from './broker.fixture.js';

interface Reading { ts: number; seq: number; [k: string]: number }

let dataDir: string;
let registry: FileRegistry;
let testBroker: TestBroker;
let url: string;
const sims: Simulation[] = [];
const observe = (filter: string): Promise<Seen[]> => testBroker.observe(filter);

/** Retained status of each device, read by a fresh subscriber. */
async function retainedStatus(): Promise<Map<string, string>> {
  const seen = await observe('city/+/+/status');
  await new Promise((r) => setTimeout(r, 200));
  return new Map(seen.filter((s) => s.retain).map((s) => [parseTopic(s.topic)!.deviceId, s.payload]));
}

/** Every telemetry reading by device, validated against the contract on the way. */
function readingsByDevice(seen: Seen[]): { byDevice: Map<string, Reading[]>; kinds: Map<string, Kind>; rejected: number; arrays: Set<string> } {
  const byDevice = new Map<string, Reading[]>();
  const kinds = new Map<string, Kind>();
  const arrays = new Set<string>();
  let rejected = 0;
  for (const s of seen) {
    const t = parseTopic(s.topic);
    if (!t || t.channel !== 'telemetry' || !isReadingKind(t.kind)) continue;
    const v = validateTelemetry(t.kind, s.payload, { now: Date.now() });
    rejected += v.rejected.length;
    const data = JSON.parse(s.payload) as Reading | Reading[];
    if (Array.isArray(data)) arrays.add(t.deviceId);
    const list = byDevice.get(t.deviceId) ?? [];
    list.push(...(Array.isArray(data) ? data : [data]));
    byDevice.set(t.deviceId, list);
    kinds.set(t.deviceId, t.kind);
  }
  return { byDevice, kinds, rejected, arrays };
}

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cityhub-sim-'));
  registry = await openRegistry(dataDir);
  testBroker = await startTestBroker(registry);
  url = testBroker.url;
});

afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.stop()));
  await testBroker.close();
  await registry.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('startSimulation', () => {
  it('publishes valid telemetry from every device over real MQTT, keeps status retained and continues after a restart', async () => {
    const seen = await observe('city/#');
    const sim = await startSimulation({ mqttUrl: url, registry, dataDir, count: 10, intervalMs: 200 });
    sims.push(sim);
    expect(sim.stats().devices).toBe(10);
    await until(() => {
      const { byDevice } = readingsByDevice(seen);
      return byDevice.size === 10 && [...byDevice.values()].every((r) => r.length >= 5);
    }, 10_000, 'five readings from each of 10 devices');

    const { byDevice, kinds, rejected } = readingsByDevice(seen);
    expect(rejected).toBe(0);
    expect([...kinds.values()].sort()).toEqual(['energy', ...Array<Kind>(8).fill('traffic'), 'wifi']);
    for (const [id, readings] of byDevice) {
      expect(id).toMatch(/^sim-(link|hotspot|building)-/);
      expect(readings.map((r) => r.seq)).toEqual(readings.map((_, i) => i));
      for (let i = 1; i < readings.length; i++) expect(readings[i]!.ts).toBeGreaterThanOrEqual(readings[i - 1]!.ts);
    }
    // Every device publishes about once per interval, not in one burst.
    const all = [...byDevice.values()].flat().map((r) => r.ts);
    expect(new Set(all).size).toBeGreaterThan(all.length / 2);
    expect(sim.stats().connected).toBe(10);

    const online = await retainedStatus();
    expect(online.size).toBe(10);
    expect([...online.values()].every((s) => s === 'online')).toBe(true);

    await sim.stop();
    const s1 = sim.stats();
    expect(s1.acked).toBe(s1.published);
    expect(s1.published).toBeGreaterThanOrEqual(50);
    const offline = await retainedStatus();
    expect(offline.size).toBe(10);
    expect([...offline.values()].every((s) => s === 'offline')).toBe(true);

    // The simulator keeps its devices' credentials privately; the registry never holds a secret.
    const statePath = simStatePath(dataDir);
    expect((await stat(statePath)).mode & 0o777).toBe(0o600);
    const state = JSON.parse(await readFile(statePath, 'utf8')) as SimState;
    expect(state.clean).toBe(true);
    expect(Object.keys(state.devices)).toHaveLength(10);
    const registryText = await readFile(registry.path, 'utf8');
    for (const d of Object.values(state.devices)) expect(registryText).not.toContain(d.secret);
    expect(registry.list().every((r) => r.simulated)).toBe(true);

    // Restart: one device lost its state, one holds a credential that no longer matches the registry,
    // one was disabled by an operator.
    const sent = readingsByDevice(seen).byDevice;
    const lastSeq = new Map([...sent].map(([id, r]) => [id, Math.max(...r.map((x) => x.seq))]));
    const energyId = [...kinds].find(([, k]) => k === 'energy')![0];
    const lastKwh = Math.max(...sent.get(energyId)!.map((r) => r.energy_kwh!));
    const hashes = new Map(registry.list().map((r) => [r.id, r.secret_hash]));
    const [lost, stale, disabled] = [...byDevice.keys()].filter((id) => kinds.get(id) === 'traffic');
    delete state.devices[lost!];
    state.devices[stale!]!.secret_hash = 'scrypt$16384$8$1$c2FsdA==$aGFzaA==';
    await writeFile(statePath, JSON.stringify(state));
    await registry.setEnabled(disabled!, false);

    const seen2 = await observe('city/+/+/telemetry');
    const sim2 = await startSimulation({ mqttUrl: url, registry, dataDir, count: 10, intervalMs: 200 });
    sims.push(sim2);
    expect(sim2.stats().devices).toBe(9);
    await until(() => readingsByDevice(seen2).byDevice.size === 9, 10_000, 'readings from 9 devices after the restart');
    const after = readingsByDevice(seen2);
    expect(after.rejected).toBe(0);
    expect(after.byDevice.has(disabled!)).toBe(false);
    for (const [id, readings] of after.byDevice) {
      // Sequence numbers continue where the first run stopped, even for the device that got a new secret;
      // a device whose state was lost starts again at 0.
      expect(readings[0]!.seq).toBe(id === lost ? 0 : lastSeq.get(id)! + 1);
      const h = registry.get(id)!.secret_hash;
      if (id === lost || id === stale) expect(h).not.toBe(hashes.get(id));
      else expect(h).toBe(hashes.get(id));
    }
    expect(after.byDevice.get(energyId)![0]!.energy_kwh).toBeGreaterThanOrEqual(lastKwh);
  }, 30_000);

  it('buffers readings while disconnected and sends them as one array on reconnect, without gaps', async () => {
    const seen = await observe('city/+/+/telemetry');
    const sim = await startSimulation({ mqttUrl: url, registry, dataDir, count: 3, intervalMs: 100 });
    sims.push(sim);
    await until(() => sim.stats().connected === 3 && readingsByDevice(seen).byDevice.size === 3, 10_000, '3 connected devices');

    // Drop every device's connection at the broker; mqtt.js reconnects after 1–3 s.
    const brokerClients = (testBroker.broker.aedes as unknown as { clients: Record<string, { id: string; close(): void }> }).clients;
    for (const c of Object.values(brokerClients)) if (c.id.startsWith('sim-')) c.close();
    await until(() => sim.stats().connected === 0, 5_000, 'devices to notice the disconnect');
    const mark = seen.length;
    await until(() => sim.stats().buffered >= 6, 5_000, 'readings to be buffered');
    await until(() => readingsByDevice(seen.slice(mark)).arrays.size === 3, 10_000, 'each device to flush its backlog as an array');
    await until(() => sim.stats().buffered === 0, 2_000, 'empty buffers');

    const { byDevice, rejected } = readingsByDevice(seen);
    expect(rejected).toBe(0);
    for (const readings of byDevice.values()) {
      const seqs = [...new Set(readings.map((r) => r.seq))].sort((a, b) => a - b);
      expect(seqs).toEqual(seqs.map((_, i) => i));
      expect(seqs.length).toBeGreaterThan(10);
    }
    expect(sim.stats().dropped).toBe(0);
  }, 30_000);

  it('skips sequence numbers past anything a crashed run may have sent', async () => {
    const run = async () => {
      const sim = await startSimulation({ mqttUrl: url, registry, dataDir, count: 2, intervalMs: 100, persistMs: 1_000 });
      await new Promise((r) => setTimeout(r, 350));
      await sim.stop();
      return JSON.parse(await readFile(simStatePath(dataDir), 'utf8')) as SimState;
    };
    const first = await run();
    expect(first.clean).toBe(true);
    expect(first.persist_ms).toBe(1_000);
    const seqs = Object.values(first.devices).map((d) => d.next_seq);
    expect(Math.min(...seqs)).toBeGreaterThanOrEqual(2);

    // A clean stop continues exactly; a crash (clean false) skips the readings of one save period and more.
    first.clean = false;
    await writeFile(simStatePath(dataDir), JSON.stringify(first));
    const second = await run();
    Object.values(second.devices).forEach((d, i) => {
      expect(d.next_seq).toBeGreaterThanOrEqual(seqs[i]! + Math.ceil(1_000 / 100) + 2);
      expect(d.next_seq).toBeLessThan(seqs[i]! + Math.ceil(1_000 / 100) + 2 + 8);
    });
  });
});
