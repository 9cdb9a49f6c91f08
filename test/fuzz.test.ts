import { connect } from 'node:net';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { validateTelemetry, type DeadLetterReason, type Kind } from '@cityhub/contracts';
import { createDuckDbStore } from '@cityhub/store';
import { startHub, type Credentials, type TestHub } from './harness.js';

/** `npm run soak` tries many more inputs. */
const SOAK = process.env.CITYHUB_SOAK === '1';
const MESSAGES = SOAK ? 20_000 : 1_500;
const RAW_CONNECTIONS = SOAK ? 2_000 : 150;
const QUERIES = SOAK ? 5_000 : 400;

/** A small seeded generator: the same inputs every run, so a failure can be replayed. */
function rng(seed: number) {
  let x = seed >>> 0;
  const next = () => ((x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0) / 2 ** 32);
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(a: readonly T[]): T => a[int(a.length)]!;
  return { next, int, pick };
}

const WEIRD = ['', ' ', 'null', '\u0000', '😀', 'ε', '\u202e', 'a'.repeat(5_000), '$SYS', '#', '+', '../', '%00', 'NaN', '-0', '1e309'];

type Device = Credentials & { kind: Kind };
/** What the contract says of each device's payloads: readings accepted and refused, their times and reasons. */
type Expected = Map<string, { accepted: number; rejected: number; ts: Set<number>; reasons: Map<DeadLetterReason, number> }>;
type Rng = ReturnType<typeof rng>;
const field = { traffic: 'speed_kmh', wifi: 'clients', energy: 'power_kw' } as const;

/** Raw bytes: truncated and malformed MQTT packets, oversized lengths, other protocols. */
async function rawConnections(hub: TestHub, r: Rng): Promise<void> {
  for (let i = 0; i < RAW_CONNECTIONS; i++) {
    const len = r.int(300);
    const bytes = Buffer.from(Array.from({ length: len }, () => r.int(256)));
    if (r.next() < 0.5) bytes[0] = r.pick([0x10, 0x30, 0x32, 0x82, 0xc0, 0xe0, 0xf0]);
    await new Promise<void>((resolve) => {
      const s = connect(hub.mqttPort, '127.0.0.1', () => { s.write(bytes); s.end(); });
      s.on('close', () => resolve());
      s.on('error', () => resolve());
      setTimeout(() => { s.destroy(); resolve(); }, 1_000);
    });
  }
}

/** Fuzzed payloads from authenticated devices on their own topics; the contract says what must pass. */
async function fuzzPayloads(hub: TestHub, devs: Device[], r: Rng, now: number): Promise<{ expected: Expected; published: number }> {
  const expected: Expected = new Map(devs.map((d) => [d.id, { accepted: 0, rejected: 0, ts: new Set(), reasons: new Map() }]));
  const clients = new Map<string, MqttClient>();
  for (const d of devs) clients.set(d.id, await mqtt.connectAsync(hub.mqttUrl, { clientId: d.id, username: d.id, password: d.secret, protocolVersion: 4, reconnectPeriod: 0 }));
  let msgTs = now - 3_600_000;
  const value = (): unknown => r.pick<() => unknown>([
    () => r.int(300), () => -r.int(50), () => r.next() * 1e6, () => r.pick(WEIRD), () => null, () => [r.int(10)], () => ({ v: 1 }), () => true, () => 1.5,
  ])();
  const reading = (d: (typeof devs)[number]): unknown => {
    msgTs += 1_000;
    const good = { ts: msgTs, seq: r.int(1e6), [field[d.kind]]: d.kind === 'wifi' ? r.int(500) : r.int(120) + 0.5 };
    return r.pick<() => unknown>([
      () => good, () => good, () => ({ ...good, [field[d.kind]]: value() }), () => ({ ...good, ts: r.pick([value(), msgTs + 3_600_000, msgTs - 90 * 86_400_000, new Date(msgTs).toISOString()]) }),
      () => ({ ...good, seq: value() }), () => ({ ...good, [r.pick(WEIRD) || 'extra']: value() }), () => { const { ts: _t, ...rest } = good; return rest; },
      () => ({ ...good, occupancy_pct: r.int(300) }), () => value(),
    ])();
  };
  let published = 0;
  for (let i = 0; i < MESSAGES; i++) {
    const d = r.pick(devs);
    let payload: string;
    const shape = r.next();
    if (shape < 0.1) payload = r.pick(['{', '[1,', '{"ts":}', '\u0000\u0001', 'x'.repeat(r.int(10_000)), '{"a":'.repeat(200), '']);
    else if (shape < 0.4) payload = JSON.stringify(Array.from({ length: 1 + r.int(20) }, () => reading(d)));
    else payload = JSON.stringify(reading(d));
    const v = validateTelemetry(d.kind, Buffer.from(payload), { now: Date.now() });
    const e = expected.get(d.id)!;
    e.accepted += v.accepted.length;
    e.rejected += v.rejected.length;
    for (const x of v.rejected) e.reasons.set(x.reason, (e.reasons.get(x.reason) ?? 0) + 1);
    for (const a of v.accepted) e.ts.add(a.ts);
    await clients.get(d.id)!.publishAsync(`city/${d.kind}/${d.id}/telemetry`, payload, { qos: 1 });
    published++;
  }
  for (const c of clients.values()) await c.endAsync();
  return { expected, published };
}

/** Hostile topics: other devices' series, wildcards, $SYS, unicode, very long. Each closes the connection. */
async function hostileTopics(hub: TestHub, devs: Device[]): Promise<number> {
  const topics = [`city/traffic/${devs[1]!.id}/telemetry`, 'city/traffic/+/telemetry', 'city/#', '$SYS/broker/load', `city/wifi/${devs[0]!.id}/telemetry`,
    `city/traffic/${devs[0]!.id}/telemetry/😀`, `city/traffic/${devs[0]!.id}/${'x'.repeat(60_000)}`, 'city/traffic/\u0000/telemetry', `city/energy/${devs[3]!.id}/status`];
  for (const topic of topics) {
    const c = await mqtt.connectAsync(hub.mqttUrl, { clientId: devs[0]!.id, username: devs[0]!.id, password: devs[0]!.secret, protocolVersion: 4, reconnectPeriod: 0 });
    const closed = new Promise<void>((res) => c.once('close', () => res()));
    c.publish(topic, JSON.stringify({ ts: Date.now(), seq: 1, speed_kmh: 1 }), { qos: 1 });
    await Promise.race([closed, new Promise((res) => setTimeout(res, 2_000))]);
    c.end(true);
  }
  return topics.length;
}

/** HTTP query strings: never a 5xx. */
async function hostileQueries(hub: TestHub, r: Rng): Promise<number> {
  const keys = ['asset', 'kind', 'metric', 'from', 'to', 'step', 'agg', 'limit', 'format', 'state', 'x'];
  const paths = ['/api/v1/assets', '/api/v1/latest', '/api/v1/series', '/api/v1/alerts', '/api/v1/kpis', '/api/v1/rules', '/api/v1/deadletters', '/readyz'];
  let served = 0;
  for (let i = 0; i < QUERIES; i++) {
    const qs = Array.from({ length: r.int(5) }, () => `${r.pick(keys)}=${encodeURIComponent(r.pick([...WEIRD, 'link-10', 'traffic', 'speed_kmh', '1h', '2026-01-01']))}`).join('&');
    const res = await fetch(`${hub.httpUrl}${r.pick(paths)}?${qs}`);
    expect(res.status, qs).toBeLessThan(500);
    served++;
  }
  return served;
}

/** Every refused reading is a dead letter with its reason, and each device's series holds exactly its accepted readings. */
async function checkStored(hub: TestHub, devs: Device[], expected: Expected, now: number): Promise<void> {
  const store = createDuckDbStore({ path: join(hub.dataDir, 'cityhub.duckdb') });
  await store.init();
  try {
    for (const d of devs) {
      const e = expected.get(d.id)!;
      // Every refused reading is a dead letter with its reason (listings stop at 1,000 a page).
      for (const [reason, n] of e.reasons) {
        const dead = await store.listDeadLetters({ device: d.id, reason, limit: 1_000 });
        expect(dead.length, `${d.id} ${reason}`).toBe(Math.min(n, 1_000));
        for (const x of dead) expect(x.message.length).toBeGreaterThan(0);
      }
      const [s] = await store.series({ assets: [d.asset], metric: field[d.kind], from: now - 4 * 3_600_000, to: now + 3_600_000 });
      // Exactly this device's accepted readings, nobody else's.
      expect(new Set(s!.points.map((p) => p[0])), `${d.asset} series`).toEqual(e.ts);
    }
    const denied = await store.listDeadLetters({ device: devs[0]!.id, reason: 'topic_denied' });
    expect(denied.length).toBeGreaterThanOrEqual(3);
  } finally {
    await store.close();
    await rm(hub.dataDir, { recursive: true, force: true });
  }
}

describe(`hostile input (${MESSAGES} payloads, ${RAW_CONNECTIONS} raw connections, ${QUERIES} queries, fixed seed)`, () => {
  let hub: TestHub;
  afterAll(async () => {
    await hub?.stop();
  });

  it('never crashes, dead-letters every bad reading with a reason, and keeps every device in its own series', async () => {
    hub = await startHub({ simulate: 0, env: { CITYHUB_MQTT_PUBLISH_PER_SECOND: '100000', CITYHUB_MQTT_PUBLISH_BURST: '100000', CITYHUB_MQTT_MAX_PACKET_BYTES: '262144' } });
    const r = rng(20261123);
    const devs: Device[] = [
      { ...(await hub.provision('traffic', 'link-10')), kind: 'traffic' },
      { ...(await hub.provision('traffic', 'link-11')), kind: 'traffic' },
      { ...(await hub.provision('wifi', 'hotspot-rotunda')), kind: 'wifi' },
      { ...(await hub.provision('energy', 'building-rotunda')), kind: 'energy' },
    ];
    const now = Date.now();
    await rawConnections(hub, r);
    const { expected, published } = await fuzzPayloads(hub, devs, r, now);
    const topics = await hostileTopics(hub, devs);
    const served = await hostileQueries(hub, r);
    expect((await hub.get('/healthz')).status).toBe(200);
    expect(hub.proc.exitCode).toBeNull();
    expect(await hub.stop({ keepData: true })).toBe(0);
    await checkStored(hub, devs, expected, now);
    console.log(`fuzz: ${RAW_CONNECTIONS} raw connections, ${published} payloads (${[...expected.values()].reduce((n, e) => n + e.rejected, 0)} bad readings dead-lettered), ${topics} hostile topics, ${served} HTTP queries`);
  }, SOAK ? 900_000 : 180_000);
});
