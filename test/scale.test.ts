/**
 * The split deployment on real parts: Debian's redis-server, a private influxd, two `cityhub broker`
 * nodes sharing state through Redis and one `cityhub api`, each its own process on loopback ports. Devices
 * are spread over both nodes; one node is killed under QoS 1 load and its devices move to the other, as
 * behind a TCP load balancer.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveMessage } from '@cityhub/contracts';
import { loadCatalogue } from '@cityhub/contracts/catalogue';
import { openRegistry } from '@cityhub/devices';
import { createInfluxStore } from '@cityhub/store';
import { startInfluxd, type Influxd } from '../store/test/influxd.js';
import { CLI, waitFor, type Credentials } from './harness.js';
import { checkStored, startLoad } from './load.js';
import { freePort } from './mosquitto.js';
import { startNode, type NodeProcess } from './nodes.js';
import { startRedis, type Redis } from './redis.js';

const run = promisify(execFile);
const SOAK = process.env.CITYHUB_SOAK === '1';
const TOTAL = SOAK ? 40_000 : 6_000;
const DEVICES = 40;
const NODE_SECRET = 'scale-test-node-secret-0123456789';
/** Fast hashes for the test fleet (each hash keeps its parameters, so the nodes verify them as usual). */
const FAST_HASH = { N: 1024, r: 8, p: 1 };

describe('two broker nodes on Redis and an api node on a shared influxd', () => {
  let redis: Redis;
  let influxd: Influxd;
  const dirs: string[] = [];
  const nodes: NodeProcess[] = [];
  let env: Record<string, string>;
  let a: NodeProcess;
  let b: NodeProcess;
  let api: NodeProcess;
  let bEnv: Record<string, string>;
  const links = loadCatalogue().features.filter((f) => f.properties.kind === 'traffic');
  const tempDir = async (name: string) => {
    const d = await mkdtemp(join(tmpdir(), `cityhub-scale-${name}-`));
    dirs.push(d);
    return d;
  };
  const brokerEnv = async (dir: string) => ({
    ...env, CITYHUB_DATA_DIR: dir, CITYHUB_MQTT_PORT: String(await freePort()), CITYHUB_HTTP_PORT: String(await freePort()),
  });

  beforeAll(async () => {
    [redis, influxd] = await Promise.all([startRedis(), startInfluxd()]);
    env = {
      CITYHUB_STORE: 'influxdb', INFLUX_URL: influxd.url, INFLUX_BUCKET: 'cityhub',
      CITYHUB_REDIS_URL: redis.url, CITYHUB_NODE_SECRET: NODE_SECRET,
      // The load publishes as fast as PUBACKs come back; the per-device rate limit is tested elsewhere.
      CITYHUB_MQTT_PUBLISH_PER_SECOND: '100000', CITYHUB_MQTT_PUBLISH_BURST: '100000',
    };
    const aEnv = await brokerEnv(await tempDir('a'));
    bEnv = await brokerEnv(await tempDir('b'));
    [a, b] = await Promise.all([startNode('broker', aEnv), startNode('broker', bEnv)]);
    nodes.push(a, b);
    api = await startNode('api', { ...env, CITYHUB_DATA_DIR: await tempDir('api'), CITYHUB_HTTP_PORT: '0', CITYHUB_BROKER_URL: a.urls.MQTT! });
    nodes.push(api);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await Promise.all([redis?.stop(), influxd?.stop()]);
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  const cli = async (args: string[]) => {
    const { stdout } = await run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env, CITYHUB_DATA_DIR: await tempDir('cli') } });
    return stdout;
  };
  const connect = (url: string, d: Credentials) =>
    mqtt.connectAsync(url, { clientId: d.id, username: d.id, password: d.secret, protocolVersion: 4, reconnectPeriod: 0 });

  /**
   * An alert opened by node B's engine reaches the api node live, is listed from the shared log and is
   * acknowledged there.
   */
  const alertAcrossNodes = async (auth: Record<string, string>) => {
    const building = loadCatalogue().features.find((f) => f.id === 'building-rotunda')!;
    const limit = (building.properties as { power_limit_kw: number }).power_limit_kw;
    const meter = JSON.parse(await cli(['devices', 'add', '--kind', 'energy', '--asset', building.id, '--json'])) as Credentials;
    const alertsLive: string[] = [];
    const liveEnergy = new WebSocket(`${api.urls.Dashboard!.replace('http', 'ws')}/api/v1/live?kind=energy`);
    liveEnergy.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as LiveMessage;
      if (m.type === 'alert') alertsLive.push(`${m.event.asset} ${m.event.state}`);
    });
    await new Promise((r, j) => { liveEnergy.once('open', r); liveEnergy.once('error', j); });
    const meterOnB = await connect(b.urls.MQTT!, meter);
    const t0 = Date.now() - 8 * 60_000;
    await meterOnB.publishAsync(`city/energy/${meter.id}/telemetry`, JSON.stringify(
      Array.from({ length: 7 }, (_, i) => ({ ts: t0 + i * 60_000, seq: i + 1, power_kw: limit * 1.3 }))), { qos: 1 });
    await waitFor(async () => (alertsLive.includes(`${building.id} opened`) ? true : undefined), 10_000, 'the alert on the api node\'s live feed');
    const open = await waitFor(async () => {
      const r = (await (await fetch(`${api.urls.Dashboard}/api/v1/alerts?asset=${building.id}`)).json()) as { items: Array<{ id: string; status: string; severity: string }> };
      return r.items[0];
    }, 10_000, 'the alert in the shared log');
    expect(open).toMatchObject({ status: 'open', severity: 'critical' });
    const ack = await fetch(`${api.urls.Dashboard}/api/v1/alerts/${encodeURIComponent(open.id)}/ack`, { method: 'POST', headers: auth });
    expect(ack.status).toBe(200);
    const acked = (await (await fetch(`${api.urls.Dashboard}/api/v1/alerts?asset=${building.id}`)).json()) as { items: Array<{ status: string; acknowledged_by: string | null }> };
    expect(acked.items[0]).toMatchObject({ status: 'acknowledged' });
    expect(acked.items[0]!.acknowledged_by).toBeTruthy();
    liveEnergy.close();
    await meterOnB.endAsync();
  };

  it('shares devices, tokens and readings across nodes: a subscriber on node A sees a device on node B', async () => {
    // A device and a token made by the CLI on another machine (its own data dir) are known to every node.
    const device = JSON.parse(await cli(['devices', 'add', '--kind', 'traffic', '--asset', links[0]!.id, '--json'])) as Credentials;
    const token = (JSON.parse(await cli(['tokens', 'add', '--role', 'admin', '--json'])) as { token: string }).token;
    const listed = await fetch(`${api.urls.Dashboard}/api/v1/devices`, { headers: { authorization: `Bearer ${token}` } });
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { items: Array<{ id: string }> }).items.map((d) => d.id)).toContain(device.id);
    // A device made through the api node connects to a broker node at once.
    const made = await fetch(`${api.urls.Dashboard}/api/v1/devices`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'traffic', asset: links[1]!.id }),
    });
    expect(made.status).toBe(201);
    const second = (await made.json()) as Credentials;

    const service = () => mqtt.connectAsync(a.urls.MQTT!, { clientId: `svc:city-system-${Math.random()}`, username: 'cityhub-node', password: NODE_SECRET, protocolVersion: 4, reconnectPeriod: 0 });
    // A service connection may not publish: the broker refuses and closes it.
    const writer = await service();
    const refused = new Promise<void>((r) => writer.once('close', () => r()));
    writer.publish(`city/traffic/${device.id}/telemetry`, JSON.stringify({ ts: Date.now(), seq: 0, speed_kmh: 1 }), { qos: 1 });
    await refused;
    writer.end(true);
    const watcher = await service();
    const seen: string[] = [];
    watcher.on('message', (topic) => seen.push(topic));
    await watcher.subscribeAsync('city/+/+/telemetry', { qos: 1 });

    const live = new WebSocket(`${api.urls.Dashboard!.replace('http', 'ws')}/api/v1/live?kind=traffic`);
    const liveAssets: string[] = [];
    live.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as LiveMessage;
      if (m.type === 'readings') liveAssets.push(...m.readings.map((r) => r.asset));
    });
    await new Promise((r, j) => { live.once('open', r); live.once('error', j); });

    const onB = await connect(b.urls.MQTT!, device);
    const onA = await connect(a.urls.MQTT!, second);
    const ts = Date.now() - 60_000;
    await onB.publishAsync(`city/traffic/${device.id}/telemetry`, JSON.stringify({ ts, seq: 1, speed_kmh: 42 }), { qos: 1 });
    await onA.publishAsync(`city/traffic/${second.id}/telemetry`, JSON.stringify({ ts, seq: 1, speed_kmh: 43 }), { qos: 1 });
    await waitFor(async () => (seen.includes(`city/traffic/${device.id}/telemetry`) ? true : undefined), 5_000, 'node A to relay node B\'s device');
    await waitFor(async () => (liveAssets.includes(links[0]!.id) && liveAssets.includes(links[1]!.id) ? true : undefined), 5_000, 'the api node\'s live feed to carry both nodes\' readings');
    // Both readings are in the shared store, read through the api node.
    const latest = await waitFor(async () => {
      const r = (await (await fetch(`${api.urls.Dashboard}/api/v1/latest?kind=traffic`)).json()) as { items: Array<{ asset: string; values: Record<string, number> }> };
      const got = r.items.filter((i) => i.asset === links[0]!.id || i.asset === links[1]!.id);
      return got.length === 2 ? got : undefined;
    }, 10_000, 'both readings in /latest');
    expect(latest.map((l) => l.values.speed_kmh).sort()).toEqual([42, 43]);
    // The api node accounts devices from the feed and the retained status topics.
    await onB.publishAsync(`city/traffic/${device.id}/status`, 'online', { qos: 1, retain: true });
    const view = await waitFor(async () => {
      const r = (await (await fetch(`${api.urls.Dashboard}/api/v1/devices?kind=traffic`, { headers: { authorization: `Bearer ${token}` } })).json()) as { items: Array<{ id: string; status: string; readings: number }> };
      const d = r.items.find((i) => i.id === device.id);
      return d?.status === 'online' ? d : undefined;
    }, 10_000, 'the device online on the api node');
    expect(view.readings).toBe(1);
    // A reading node B refused is listed, and replayed (still refused), through the api node.
    await onB.publishAsync(`city/traffic/${device.id}/telemetry`, JSON.stringify({ ts: ts + 1_000, seq: 2, speed_kmh: 900 }), { qos: 1 });
    const auth = { authorization: `Bearer ${token}` };
    const letters = await waitFor(async () => {
      const r = (await (await fetch(`${api.urls.Dashboard}/api/v1/deadletters?device=${device.id}`, { headers: auth })).json()) as { items: Array<{ reason: string }> };
      return r.items.length ? r.items : undefined;
    }, 10_000, 'node B\'s dead letter in the shared store');
    expect(letters.map((l) => l.reason)).toEqual(['out_of_range']);
    const replay = await fetch(`${api.urls.Dashboard}/api/v1/deadletters/replay`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ device: device.id }) });
    expect(replay.status).toBe(200);
    expect(await replay.json()).toMatchObject({ examined: 1, replayed: 0, still_rejected: [expect.objectContaining({ reason: 'out_of_range' })] });

    await alertAcrossNodes(auth);
    live.close();
    await Promise.all([onA.endAsync(), onB.endAsync(), watcher.endAsync()]);
  }, 60_000);

  it('kills one node under load: its devices move to the other, and every acknowledged reading is stored once', async () => {
    const cliDir = await tempDir('fleet');
    const registry = await openRegistry(cliDir, { redisUrl: redis.url, hashParams: FAST_HASH });
    const fleet = links.slice(2, 2 + DEVICES);
    const devices = await registry.addMany(fleet.map((l) => ({ kind: 'traffic' as const, asset: l.id })));
    await registry.close();
    // Even devices start on node A, odd ones on node B; each moves to the other node when its own is gone.
    const servers = (i: number) => (i % 2 === 0 ? [a.urls.MQTT!, b.urls.MQTT!] : [b.urls.MQTT!, a.urls.MQTT!]);
    const load = startLoad(a.urls.MQTT!, devices.map((d) => ({ ...d })), { total: TOTAL, baseTs: Date.now() - 3_600_000, window: 4, servers });
    await load.until(TOTAL / 3, 90_000);
    await b.kill();
    const atKill = load.acked.size;
    const oddAtKill = [...load.acked.values()].filter((r) => devices.findIndex((d) => d.id === r.device) % 2 === 1).length;
    await load.until(Math.ceil(TOTAL / DEVICES) * DEVICES, 120_000);
    await load.stop();
    const oddAfter = [...load.acked.values()].filter((r) => devices.findIndex((d) => d.id === r.device) % 2 === 1).length;
    // Node B comes back on its own disk and writes what it had acknowledged but not yet stored.
    const b2 = await startNode('broker', bEnv);
    nodes.push(b2);
    for (const n of [a, b2]) {
      await waitFor(async () => {
        const m = await (await fetch(`${n.urls.HTTP}/metrics`)).text();
        return /^cityhub_spool_backlog_bytes 0$/m.test(m) ? true : undefined;
      }, 60_000, 'the spools to drain into influxd');
    }

    const store = createInfluxStore({ url: influxd.url, bucket: 'cityhub' });
    await store.init();
    const acked = [...load.acked.values()];
    const { stored, duplicates, missing, from } = await checkStored(store, fleet.map((l) => l.id), acked);
    console.log(`two nodes: ${acked.length} acknowledged (${atKill} before node B was killed; devices of node B: ${oddAtKill} before, ${oddAfter - oddAtKill} after, on node A); stored ${stored.size}; missing ${missing.length}; duplicates ${duplicates}`);
    expect(oddAfter - oddAtKill).toBeGreaterThan(0);
    expect(missing).toEqual([]);
    expect(duplicates).toBe(0);
    expect(stored.size).toBe(acked.length);
    // Rollups written by both nodes for the devices that moved converge on the raw readings (each node
    // rebuilds the buckets it touched once more a few seconds later).
    const perAsset = new Map<string, number>();
    for (const r of acked) perAsset.set(r.asset, (perAsset.get(r.asset) ?? 0) + 1);
    const counted = await waitFor(async () => {
      const hourly = await store.series({ assets: fleet.map((l) => l.id), metric: 'speed_kmh', from: from - (from % 3_600_000), to: Date.now(), stepS: 3_600, agg: 'count' });
      const got = new Map(hourly.map((r) => [r.asset, r.points.reduce((n, [, v]) => n + v, 0)]));
      return [...perAsset].every(([asset, n]) => got.get(asset) === n) ? got : undefined;
    }, 30_000, 'the hourly rollups to count every stored reading');
    expect([...counted.values()].reduce((a, b) => a + b, 0)).toBe(acked.length);
    await store.close();
  }, SOAK ? 600_000 : 240_000);

  it('runs the alert engine on one node at a time: when it dies, another takes over where it stopped', async () => {
    const brokers = () => nodes.filter((n) => n.proc.exitCode === null && n.proc.signalCode === null && n.urls.HTTP);
    const leaderOf = async () => {
      const live = brokers();
      const states = await Promise.all(live.map(async (n) => {
        const r = (await (await fetch(`${n.urls.HTTP}/readyz`)).json()) as { checks: { alerts?: { detail?: string } } };
        return r.checks.alerts?.detail === 'this node runs the alert engine';
      }));
      return states.filter(Boolean).length === 1 ? live[states.indexOf(true)] : undefined;
    };
    const leader = await waitFor(leaderOf, 20_000, 'exactly one node to run the alert engine');
    const follower = brokers().find((n) => n !== leader)!;
    const building = loadCatalogue().features.find((f) => f.id === 'building-white-tower')!;
    const limit = (building.properties as { power_limit_kw: number }).power_limit_kw;
    const meter = JSON.parse(await cli(['devices', 'add', '--kind', 'energy', '--asset', building.id, '--json'])) as Credentials;
    const t0 = Date.now() - 10 * 60_000;
    const over = (from: number, n: number) => JSON.stringify(Array.from({ length: n }, (_, i) => ({ ts: t0 + (from + i) * 60_000, seq: from + i + 1, power_kw: limit * 1.2 })));
    // Three minutes over the limit (five are needed), through the leader, which saves the condition in Redis.
    const first = await connect(leader.urls.MQTT!, meter);
    await first.publishAsync(`city/energy/${meter.id}/telemetry`, over(0, 4), { qos: 1 });
    await first.endAsync();
    await new Promise((r) => setTimeout(r, 6_000));
    const alerts = async () => ((await (await fetch(`${api.urls.Dashboard}/api/v1/alerts?asset=${building.id}`)).json()) as { items: Array<{ rule: string; opened_at: string }> }).items;
    expect(await alerts()).toEqual([]);
    await leader.kill();
    // Two minutes more, on the other node, while no node runs the engine yet: the next leader evaluates
    // them when it takes over, continuing the condition from the saved state, and opens the alert.
    const second = await connect(follower.urls.MQTT!, meter);
    await second.publishAsync(`city/energy/${meter.id}/telemetry`, over(4, 3), { qos: 1 });
    await second.endAsync();
    await waitFor(async () => ((await leaderOf()) === follower ? true : undefined), 40_000, 'the other node to take the alert engine over');
    const opened = await waitFor(async () => (await alerts())[0], 10_000, 'the alert opened by the new leader');
    expect(opened.rule).toBe('building-power');
    expect(Date.parse(opened.opened_at)).toBe(t0 + 5 * 60_000);
  }, 120_000);
});
