import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { validateTelemetry, type DeadLetterReason, type Kind } from '@cityhub/contracts';
import { createDuckDbStore, DEAD_LETTER_PAYLOAD_BYTES } from '@cityhub/store';
import { CLI, startHub, type Credentials, type TestHub } from './harness.js';

/** `npm run soak` tries many more inputs. */
const SOAK = process.env.CITYHUB_SOAK === '1';
const MESSAGES = SOAK ? 20_000 : 1_500;
const RAW_CONNECTIONS = SOAK ? 2_000 : 150;
const QUERIES = SOAK ? 5_000 : 400;
const POISON = SOAK ? 5_000 : 300;

/** A small seeded generator: the same inputs every run, so a failure can be replayed. */
function rng(seed: number) {
  let x = seed >>> 0;
  const next = () => ((x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0) / 2 ** 32);
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(a: readonly T[]): T => a[int(a.length)]!;
  return { next, int, pick };
}

const WEIRD = ['', ' ', 'null', '\u0000', '😀', 'ε', '\u202e', 'a'.repeat(5_000), '$SYS', '#', '+', '../', '%00', 'NaN', '-0', '1e309'];

type Rng = ReturnType<typeof rng>;
const field = { traffic: 'speed_kmh', wifi: 'clients', energy: 'power_kw' } as const;
type Device = Credentials & { kind: Kind };

/** Truncated and malformed MQTT packets, oversized lengths, other protocols, each on its own connection. */
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

/** Publishes from `devs[0]` to topics that are not its own; each closes the connection. Returns the topics. */
async function hostileTopics(hub: TestHub, devs: Device[]): Promise<string[]> {
  const topics = [`city/traffic/${devs[1]!.id}/telemetry`, 'city/traffic/+/telemetry', 'city/#', '$SYS/broker/load', `city/wifi/${devs[0]!.id}/telemetry`,
    `city/traffic/${devs[0]!.id}/telemetry/😀`, `city/traffic/${devs[0]!.id}/${'x'.repeat(60_000)}`, 'city/traffic/\u0000/telemetry', `city/energy/${devs[3]!.id}/status`];
  for (const topic of topics) {
    const c = await mqtt.connectAsync(hub.mqttUrl, { clientId: devs[0]!.id, username: devs[0]!.id, password: devs[0]!.secret, protocolVersion: 4, reconnectPeriod: 0 });
    const closed = new Promise<void>((res) => c.once('close', () => res()));
    c.publish(topic, JSON.stringify({ ts: Date.now(), seq: 1, speed_kmh: 1 }), { qos: 1 });
    await Promise.race([closed, new Promise((res) => setTimeout(res, 2_000))]);
    c.end(true);
  }
  return topics;
}

/** Random query strings on every read route: never a 5xx. Returns how many were served. */
async function httpQueries(hub: TestHub, r: Rng): Promise<number> {
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

type Expected = Map<string, { accepted: number; rejected: number; ts: Set<number>; reasons: Map<DeadLetterReason, number> }>;

/** Opens the stopped hub's DuckDB file: every refused reading is a dead letter, every series exactly its device's. */
async function checkStore(hub: TestHub, devs: Device[], expected: Expected, now: number): Promise<void> {
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
    const devs: Array<Credentials & { kind: Kind }> = [
      { ...(await hub.provision('traffic', 'link-10')), kind: 'traffic' },
      { ...(await hub.provision('traffic', 'link-11')), kind: 'traffic' },
      { ...(await hub.provision('wifi', 'hotspot-rotunda')), kind: 'wifi' },
      { ...(await hub.provision('energy', 'building-rotunda')), kind: 'energy' },
    ];
    const now = Date.now();

    // 1. Raw bytes: truncated and malformed MQTT packets, oversized lengths, other protocols.
    await rawConnections(hub, r);

    // 2. Fuzzed payloads from authenticated devices on their own topics; the contract says what must pass.
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

    // 3. Hostile topics: other devices' series, wildcards, $SYS, unicode, very long. Each closes the connection.
    const topics = await hostileTopics(hub, devs);

    // 4. HTTP query strings.
    const served = await httpQueries(hub, r);

    expect((await hub.get('/healthz')).status).toBe(200);
    expect(hub.proc.exitCode).toBeNull();
    expect(await hub.stop({ keepData: true })).toBe(0);
    await checkStore(hub, devs, expected, now);
    console.log(`fuzz: ${RAW_CONNECTIONS} raw connections, ${published} payloads (${[...expected.values()].reduce((n, e) => n + e.rejected, 0)} bad readings dead-lettered), ${topics.length} hostile topics, ${served} HTTP queries`);
  }, SOAK ? 900_000 : 180_000);
});

/** Payloads a device may send on its own telemetry topic that once made ingest throw, or were kept whole. */
function poison(r: Rng, now: number): Buffer {
  const deep = (n: number, open: string, close: string, inner = '1') => open.repeat(n) + inner + close.repeat(n);
  const good = (over: Record<string, unknown> = {}) => ({ ts: now - r.int(3_600_000), seq: r.int(1e6), speed_kmh: r.int(120), ...over });
  const tsBad = (): number => r.pick([8.64e15 + 1 + r.int(1e6), 2 ** 53 - 1, 8.64e15, 9e15 + r.int(1e9), -1, 1e300]);
  return r.pick<() => Buffer | string>([
    () => JSON.stringify(good()),
    () => deep(1 + r.int(20_000), '[', ']'),
    () => deep(1 + r.int(20_000), '{"a":', '}'),
    () => `{"ts":${now},"seq":1,"speed_kmh":${deep(33 + r.int(5_000), '[', ']', '')}}`,
    () => JSON.stringify(good({ ts: tsBad() })),
    () => JSON.stringify([good(), good({ ts: tsBad() }), good()]),
    () => `{"ts":${now},"seq":1,"speed_kmh":${r.pick(['1e309', '-1e309', '1e-400', '-0', '0.1e2'])}}`,
    () => `[${JSON.stringify(good())},{"ts":${now},"seq":2,"speed_kmh":1e309}]`,
    () => JSON.stringify(Array.from({ length: 5_001 }, (_, i) => good({ seq: i }))),
    () => JSON.stringify(good({ speed_kmh: 'x'.repeat(r.int(200_000)) })),
    () => Buffer.from(Array.from({ length: r.int(2_000) }, () => r.int(256))),
    () => '\uFEFF' + JSON.stringify(good()),
    () => '',
  ])() as Buffer;
}

describe('every payload gets an answer (fixed seed, real MQTT, real hub)', () => {
  let hub: TestHub;
  afterAll(async () => {
    await hub?.stop();
  });

  it('acknowledges every payload under the size limit without closing the connection, and relays only valid ones', async () => {
    hub = await startHub({ simulate: 0, env: { CITYHUB_MQTT_PUBLISH_PER_SECOND: '100000', CITYHUB_MQTT_PUBLISH_BURST: '100000', CITYHUB_MQTT_MAX_PACKET_BYTES: '262144' } });
    const dev: Device = { ...(await hub.provision('traffic', 'link-12')), kind: 'traffic' };
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'tokens', 'add', '--role', 'operator', '--json'], { env: { ...process.env, CITYHUB_DATA_DIR: hub.dataDir } });
    const watcher = await mqtt.connectAsync(hub.mqttUrl, { clientId: 'svc:city-system', username: 'token', password: (JSON.parse(stdout) as { token: string }).token, protocolVersion: 4, reconnectPeriod: 0 });
    const relayed: string[] = [];
    const feedback: string[] = [];
    // The device's own errors topic carries the hub's feedback on refused readings (city/{kind}/{id}/errors).
    watcher.on('message', (topic, p) => {
      if (topic.endsWith('/errors')) feedback.push(topic);
      else if (topic.startsWith('city/')) relayed.push(p.toString('base64'));
    });
    await watcher.subscribeAsync('city/#', { qos: 1 });
    const c = await mqtt.connectAsync(hub.mqttUrl, { clientId: dev.id, username: dev.id, password: dev.secret, protocolVersion: 4, reconnectPeriod: 0 });
    let closes = 0;
    c.on('close', () => closes++);
    const r = rng(20261205);
    const now = Date.now();
    const valid: string[] = [];
    let letters = 0;
    for (let i = 0; i < POISON; i++) {
      const payload = Buffer.from(poison(r, now));
      const v = validateTelemetry('traffic', payload, { now: Date.now() });
      if (v.rejected.length === 0) valid.push(payload.toString('base64'));
      letters += v.rejected.length;
      const acked = await Promise.race([c.publishAsync(`city/traffic/${dev.id}/telemetry`, payload, { qos: 1 }).then(() => true), new Promise((res) => setTimeout(() => res(false), 10_000))]);
      expect(acked, `payload ${i}: ${payload.subarray(0, 80).toString()}`).toBe(true);
    }
    expect(closes).toBe(0);
    // Over the size limit is the one exception: the connection closes, no PUBACK.
    const closed = new Promise<void>((res) => c.once('close', () => res()));
    c.publish(`city/traffic/${dev.id}/telemetry`, Buffer.alloc(300_000, 0x20), { qos: 1 });
    await closed;
    await new Promise((res) => setTimeout(res, 300));
    watcher.end(true);
    expect(relayed).toEqual(valid);
    // Every payload with a refused reading was answered on the device's errors topic.
    expect(feedback.length).toBe(POISON - valid.length);
    expect(new Set(feedback)).toEqual(new Set([`city/traffic/${dev.id}/errors`]));
    const metrics = await (await fetch(`${hub.httpUrl}/metrics`)).text();
    const overBudget = Number(/^cityhub_dead_letters_over_budget_total (\d+)/m.exec(metrics)?.[1]);
    expect(await hub.stop({ keepData: true })).toBe(0);
    const store = createDuckDbStore({ path: join(hub.dataDir, 'cityhub.duckdb') });
    await store.init();
    try {
      let stored = 0;
      for (let to = Date.now() + 1; ;) {
        const page = await store.listDeadLetters({ device: dev.id, to, limit: 1_000 });
        stored += page.length;
        for (const l of page) expect(Buffer.byteLength(l.payload)).toBeLessThanOrEqual(DEAD_LETTER_PAYLOAD_BYTES);
        if (page.length < 1_000) break;
        to = page[page.length - 1]!.received;
      }
      // Every refused reading is a dead letter, or counted over the device's budget.
      expect(stored + overBudget).toBe(letters);
    } finally {
      await store.close();
      await rm(hub.dataDir, { recursive: true, force: true });
    }
    console.log(`poison: ${POISON} payloads acknowledged, ${valid.length} relayed, ${letters} letters (${overBudget} over budget)`);
  }, SOAK ? 900_000 : 180_000);
});
