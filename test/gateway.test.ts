import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeadLetterList, DeviceFeedback, DeviceView, LatestResponse, SeriesResponse } from '@cityhub/contracts';
import { loadCatalogue } from '@cityhub/contracts/catalogue';
import { openRegistry } from '@cityhub/devices';
import { CLI, startHub, waitFor, type TestHub } from './harness.js';

const run = promisify(execFile);

interface Added { id: string; secret: string; kind: string; asset: string; gateway?: string }

const TRAFFIC = loadCatalogue().features.filter((f) => f.properties.kind === 'traffic').map((f) => f.id);
/** Eight links for the children, one for a device that is not under the gateway. */
const LINKS = TRAFFIC.slice(20, 28);
const FOREIGN_LINK = TRAFFIC[28]!;

describe('a gateway speaks for its children, on the real hub over real MQTT', () => {
  let hub: TestHub;
  let token: string;
  let gw: Added;
  let children: Added[];
  let foreign: Added;
  let client: MqttClient;
  const errors: DeviceFeedback[] = [];
  const cli = async (...args: string[]) => (await run(process.execPath, [CLI, ...args], { env: { ...process.env, CITYHUB_DATA_DIR: hub.dataDir } })).stdout;
  const add = async (...args: string[]) => JSON.parse(await cli('devices', 'add', ...args, '--json')) as Added;
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(hub.httpUrl + path, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status, path).toBe(200);
    return (await res.json()) as T;
  };
  /** Dead letters of `device` once the writer has moved `n` of them from the spool to the store. */
  const lettersOf = (device: string, n = 1) => waitFor(async () => {
    const l = await api<DeadLetterList>(`/api/v1/deadletters?device=${device}`);
    return l.items.length >= n ? l : undefined;
  }, 5_000, `dead letters of ${device}`);
  const latest = async (asset: string) => (await api<LatestResponse>('/api/v1/latest?kind=traffic')).items.find((i) => i.asset === asset);

  beforeAll(async () => {
    // Provisioned in one registry write before the hub starts (scrypt for ten devices through ten CLI
    // processes is slow on a loaded machine); the CLI's --gateway is tested below.
    const dataDir = await mkdtemp(join(tmpdir(), 'cityhub-gateway-'));
    const registry = await openRegistry(dataDir);
    gw = await registry.add({ kind: 'gateway', id: 'gw-cabinet-1' });
    children = await registry.addMany(LINKS.map((asset) => ({ kind: 'traffic' as const, asset, gateway: gw.id })));
    foreign = await registry.add({ kind: 'traffic', asset: FOREIGN_LINK });
    await registry.close();
    hub = await startHub({ simulate: 0, dataDir });
    token = (JSON.parse(await cli('tokens', 'add', '--role', 'operator', '--json')) as { token: string }).token;
    client = await mqtt.connectAsync(hub.mqttUrl, { clientId: gw.id, username: gw.id, password: gw.secret, protocolVersion: 4, reconnectPeriod: 0 });
    client.on('message', (_t, p) => errors.push(JSON.parse(p.toString()) as DeviceFeedback));
    await client.subscribeAsync(`city/gateway/${gw.id}/errors`, { qos: 1 });
  }, 180_000);
  afterAll(async () => {
    await client?.endAsync();
    await hub?.stop();
    if (hub) await rm(hub.dataDir, { recursive: true, force: true });
  });

  it('registers gateways and their children with the CLI', async () => {
    expect(gw).toMatchObject({ id: 'gw-cabinet-1', kind: 'gateway', asset: 'gw-cabinet-1' });
    expect(children.map((c) => c.gateway)).toEqual(LINKS.map(() => gw.id));
    const other = await add('--kind', 'gateway', '--id', 'gw-lorawan-1');
    expect(other).toMatchObject({ kind: 'gateway', asset: 'gw-lorawan-1' });
    const child = await add('--kind', 'traffic', '--asset', TRAFFIC[30]!, '--gateway', other.id);
    expect(child).toMatchObject({ kind: 'traffic', gateway: 'gw-lorawan-1' });
    await expect(add('--kind', 'traffic', '--asset', TRAFFIC[31]!, '--gateway', foreign.id)).rejects.toThrow(/no gateway/);
    const listed = JSON.parse(await cli('devices', 'list', '--json')) as Added[];
    expect(listed.filter((d) => d.gateway === gw.id)).toHaveLength(8);
  });

  it('stores the readings of 8 children from one message under their own assets, with their own accounting', async () => {
    const t = Date.now() - 5_000;
    const msg: Record<string, unknown> = {};
    children.forEach((c, i) => {
      // Child 2 skips seq 2 (one gap); child 7 sends one implausible reading among good ones.
      const seqs = i === 2 ? [1, 3] : [1, 2];
      msg[c.id] = seqs.map((seq, j) => ({ ts: t + j * 1_000, seq, speed_kmh: i === 7 && j === 1 ? 300 : 10 + i }));
    });
    await client.publishAsync(`city/gateway/${gw.id}/telemetry`, JSON.stringify(msg), { qos: 1 });
    // Acknowledged once durable: every child's latest value is its own, on its own asset.
    for (const [i, c] of children.entries()) {
      const item = await waitFor(() => latest(LINKS[i]!), 5_000, `${LINKS[i]} in /latest`);
      expect(item).toMatchObject({ asset: LINKS[i], device: c.id, values: { speed_kmh: 10 + i } });
    }
    for (const [i, c] of children.entries()) {
      const d = await api<DeviceView>(`/api/v1/devices/${c.id}`);
      expect(d, c.id).toMatchObject({ kind: 'traffic', asset: LINKS[i], gateway: gw.id, readings: i === 7 ? 1 : 2, gaps: i === 2 ? 1 : 0 });
      if (i === 7) expect(d.rejected).toEqual({ out_of_range: 1 });
    }
    expect(await api<DeviceView>(`/api/v1/devices/${gw.id}`)).toMatchObject({ kind: 'gateway', readings: 0, rejected: {} });
    // The refused reading is a dead letter of its child, on the child's own topic; the gateway hears of it.
    const letters = await lettersOf(children[7]!.id);
    expect(letters.items).toEqual([expect.objectContaining({ reason: 'out_of_range', topic: `city/traffic/${children[7]!.id}/telemetry` })]);
    expect(letters.items[0]!.message).toMatch(/through gateway gw-cabinet-1/);
    await waitFor(async () => (errors.length ? true : undefined), 1_000, 'the gateway\'s feedback');
    expect(errors[0]!.errors).toEqual([expect.objectContaining({ device: children[7]!.id, index: 1, reason: 'out_of_range', field: 'speed_kmh' })]);
    expect(errors[0]!.accepted).toBe(15);
  });

  it('refuses and dead-letters a message naming a device that is not its child, storing nothing of it', async () => {
    const t = Date.now() - 2_000;
    const first = children[0]!;
    await client.publishAsync(`city/gateway/${gw.id}/telemetry`, JSON.stringify({
      [first.id]: [{ ts: t, seq: 3, speed_kmh: 77 }],
      [foreign.id]: [{ ts: t, seq: 1, speed_kmh: 88 }],
    }), { qos: 1 });
    const letters = await lettersOf(gw.id);
    expect(letters.items).toEqual([expect.objectContaining({ reason: 'not_a_child', topic: `city/gateway/${gw.id}/telemetry` })]);
    expect(letters.items[0]!.message).toContain(foreign.id);
    // A later good message of the first child is stored; the refused one never was.
    await client.publishAsync(`city/gateway/${gw.id}/telemetry`, JSON.stringify({ [first.id]: { ts: t + 500, seq: 4, speed_kmh: 55 } }), { qos: 1 });
    await waitFor(async () => ((await latest(LINKS[0]!))?.values.speed_kmh === 55 ? true : undefined), 5_000, 'the later reading');
    const s = await api<SeriesResponse>(`/api/v1/series?asset=${LINKS[0]}&metric=speed_kmh&from=${t - 10_000}&to=${Date.now() + 1}`);
    expect(s.series[0]!.points.map((p) => p[1])).not.toContain(77);
    expect(await latest(FOREIGN_LINK)).toBeUndefined();
    expect((await api<DeviceView>(`/api/v1/devices/${foreign.id}`)).readings).toBe(0);
    expect((await api<DeviceView>(`/api/v1/devices/${gw.id}`)).rejected).toEqual({ not_a_child: 1 });
  });

  it('takes child status as {"<childId>": "online" | "offline"}, and refuses one for a foreign device', async () => {
    await client.publishAsync(`city/gateway/${gw.id}/status`, JSON.stringify({ [children[1]!.id]: 'online', [children[2]!.id]: 'offline' }), { qos: 1 });
    expect((await api<DeviceView>(`/api/v1/devices/${children[1]!.id}`)).status).toBe('online');
    expect((await api<DeviceView>(`/api/v1/devices/${children[2]!.id}`)).status).toBe('offline');
    await client.publishAsync(`city/gateway/${gw.id}/status`, JSON.stringify({ [foreign.id]: 'online' }), { qos: 1 });
    expect((await api<DeviceView>(`/api/v1/devices/${foreign.id}`)).status).toBe('unknown');
  });
});
