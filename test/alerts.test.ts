import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '@cityhub/alerts';
import { FIXED_RULES, USUAL_RULES } from '@cityhub/contracts';
import { findAsset } from '@cityhub/contracts/catalogue';
import { CLI, startHub, waitFor, type Credentials, type TestHub } from './harness.js';
import { freePort } from './mosquitto.js';

const run = promisify(execFile);
const MIN = 60_000;
const HOUR = 60 * MIN;
const SECRET = 'an-alert-webhook-secret-for-tests';

interface AlertView { id: string; rule: string; asset: string; status: string; message: string }

/** The most recent Athens night (00:00–05:00) that has ended, as a UTC instant of its 00:00. */
function lastNight(now: number): number {
  const athensOffset = (t: number) => {
    const p = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Athens', hour: '2-digit', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date(t));
    const g = (k: string) => Number(p.find((x) => x.type === k)!.value);
    return Date.UTC(g('year'), g('month') - 1, g('day'), g('hour')) - Math.floor(t / HOUR) * HOUR;
  };
  let m = Math.floor((now + athensOffset(now)) / (24 * HOUR)) * 24 * HOUR; // local midnight, as if UTC
  if (now + athensOffset(now) - m < 5 * HOUR + 10 * MIN) m -= 24 * HOUR;
  return m - athensOffset(m);
}

describe('the fixed alert rules, driven by real MQTT readings through cityhub start', () => {
  let dir: string;
  let hub: TestHub;
  let env: Record<string, string>;
  let admin: string;
  let operator: string;
  const hooks: Array<{ body: string; headers: Record<string, string | string[] | undefined>; at: number }> = [];
  let receiver: Server;
  const devices: Record<string, Credentials> = {};
  const now = Date.now();

  const alerts = async (state = 'all') => (await hub.get<{ items: AlertView[] }>(`/api/v1/alerts?state=${state}`)).body.items;
  const alertOf = async (rule: string, asset: string, status: string) =>
    waitFor(async () => (await alerts()).find((a) => a.rule === rule && a.asset === asset && a.status === status), 5_000, `${rule} ${status} on ${asset}`)
      .catch(async (e: Error) => {
        throw new Error(`${e.message}; alerts: ${JSON.stringify(await alerts())}; state: ${await readFile(join(dir, 'alerts', 'state.json'), 'utf8').catch(() => 'none')}; log: ${hub.output().slice(-1500)}`);
      });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cityhub-alerts-e2e-'));
    env = { CITYHUB_MQTT_PORT: String(await freePort()), CITYHUB_DATA_DIR: dir };
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => { hooks.push({ body, headers: req.headers, at: Date.now() }); res.end(); });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    hub = await startHub({ dataDir: dir, env });
    const tok = async (role: string) => (JSON.parse((await run(process.execPath, [CLI, 'tokens', 'add', '--role', role, '--json'], { env: { ...process.env, ...env } })).stdout) as { token: string }).token;
    admin = await tok('admin');
    operator = await tok('operator');
    const put = await fetch(`${hub.httpUrl}/api/v1/rules`, {
      method: 'PUT', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ rules: FIXED_RULES, notify: { webhooks: [{ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts`, secret: SECRET }] } }),
    });
    expect(put.status).toBe(200);
    devices.link = await hub.provision('traffic', 'link-1');
    devices.hotspot = await hub.provision('wifi', 'hotspot-rotunda');
    devices.building = await hub.provision('energy', 'building-rotunda');
  });
  afterAll(async () => {
    await hub?.stop({ keepData: true });
    await new Promise((r) => receiver?.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('congestion: four minutes before a restart and one after open it; a free-flowing reading clears it', async () => {
    const t0 = now - 30 * MIN;
    await hub.publish(devices.link!, [0, 1, 2, 3, 4].map((m) => ({ ts: t0 + m * MIN, seq: m, speed_kmh: 12 })));
    expect((await alerts()).filter((a) => a.rule === 'congestion')).toEqual([]);
    expect(await hub.stop({ keepData: true })).toBe(0);
    hub = await startHub({ dataDir: dir, env });
    await hub.publish(devices.link!, { ts: t0 + 5 * MIN, seq: 5, speed_kmh: 12 });
    const opened = await alertOf('congestion', 'link-1', 'open');
    const ack = await fetch(`${hub.httpUrl}/api/v1/alerts/${encodeURIComponent(opened.id)}/ack`, { method: 'POST', headers: { authorization: `Bearer ${operator}` } });
    expect(ack.status).toBe(200);
    await alertOf('congestion', 'link-1', 'acknowledged');
    await hub.publish(devices.link!, { ts: t0 + 6 * MIN, seq: 6, speed_kmh: 40 });
    await alertOf('congestion', 'link-1', 'cleared');
  });

  it('hotspot-offline: the last will opens it, the next reading clears it', async () => {
    await hub.publish(devices.hotspot!, { ts: now - MIN, seq: 1, clients: 12 });
    const c = await mqtt.connectAsync(hub.mqttUrl, {
      clientId: devices.hotspot!.id, username: devices.hotspot!.id, password: devices.hotspot!.secret, protocolVersion: 4, reconnectPeriod: 0,
      will: { topic: `city/wifi/${devices.hotspot!.id}/status`, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    await c.publishAsync(`city/wifi/${devices.hotspot!.id}/status`, 'online', { qos: 1, retain: true });
    // The hub has taken the device's "online" before its connection drops (the will comes after it).
    await waitFor(async () => {
      const r = await fetch(`${hub.httpUrl}/api/v1/devices/${devices.hotspot!.id}`, { headers: { authorization: `Bearer ${operator}` } });
      return ((await r.json()) as { status: string }).status === 'online' || undefined;
    }, 5_000, 'the device online');
    c.stream.destroy();
    await alertOf('hotspot-offline', 'hotspot-rotunda', 'open');
    await hub.publish(devices.hotspot!, { ts: now, seq: 2, clients: 14 });
    await alertOf('hotspot-offline', 'hotspot-rotunda', 'cleared');
  });

  it('acknowledges an alert that has already cleared, with a comment', async () => {
    const cleared = await alertOf('hotspot-offline', 'hotspot-rotunda', 'cleared');
    const ack = await fetch(`${hub.httpUrl}/api/v1/alerts/${encodeURIComponent(cleared.id)}/ack`, {
      method: 'POST', headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' }, body: JSON.stringify({ comment: 'power cut at the Rotunda, fixed' }),
    });
    expect(ack.status).toBe(200);
    const ev = (await ack.json()) as { state: string; message: string; by: string };
    expect(ev).toMatchObject({ state: 'acknowledged' });
    expect(ev.message).toMatch(/^acknowledged by \S+: power cut at the Rotunda, fixed$/);
    const view = await waitFor(async () => {
      const a = (await hub.get<{ items: Array<AlertView & { acknowledged_by: string | null }> }>('/api/v1/alerts?state=cleared')).body.items.find((x) => x.id === cleared.id);
      return a?.acknowledged_by ? a : undefined;
    }, 5_000, 'the acknowledgement in the alert list');
    expect(view.status).toBe('cleared');
    const none = await fetch(`${hub.httpUrl}/api/v1/alerts/no-such-alert/ack`, { method: 'POST', headers: { authorization: `Bearer ${operator}` } });
    expect(none.status).toBe(404);
  });

  it('building-power: five minutes above the limit open it, below 90 % clears it', async () => {
    const limit = (findAsset('building-rotunda')!.properties as { power_limit_kw: number }).power_limit_kw;
    const t0 = now - 20 * MIN;
    await hub.publish(devices.building!, [0, 2, 5].map((m) => ({ ts: t0 + m * MIN, seq: m, power_kw: limit * 1.3 })));
    await alertOf('building-power', 'building-rotunda', 'open');
    await hub.publish(devices.building!, { ts: t0 + 6 * MIN, seq: 6, power_kw: limit * 0.5 });
    await alertOf('building-power', 'building-rotunda', 'cleared');
  });

  it('night-baseload: last night above half of the day before\'s peak opens it, a low night reading clears it', async () => {
    const night = lastNight(now);
    const meter = await hub.provision('energy', 'building-white-tower');
    await hub.publish(meter, [
      { ts: night - 12 * HOUR, seq: 1, power_kw: 200 },
      ...[0, 10, 20, 31].map((m, i) => ({ ts: night + HOUR + m * MIN, seq: 2 + i, power_kw: 150 })),
    ]);
    await alertOf('night-baseload', 'building-white-tower', 'open');
    await hub.publish(meter, { ts: night + HOUR + 40 * MIN, seq: 9, power_kw: 40 });
    await alertOf('night-baseload', 'building-white-tower', 'cleared');
  });

  it('congestion-usual: with four days of history, 40 % slower than usual for 5 minutes opens it, in words', async () => {
    const link2 = await hub.provision('traffic', 'link-2');
    // An hourly reading at 50 km/h for four days: the same hour of the last days gives the usual value.
    const hours = Array.from({ length: 96 }, (_, i) => Math.floor(now / HOUR) * HOUR - (96 - i) * HOUR);
    await hub.publish(link2, hours.map((ts, i) => ({ ts, seq: i + 1, speed_kmh: 50 })));
    const q = `/api/v1/series?asset=link-2&metric=speed_kmh&from=${new Date(hours[0]!).toISOString()}&to=${new Date(now).toISOString()}`;
    await waitFor(async () => ((await hub.get<{ series: Array<{ points: unknown[] }> }>(q)).body.series[0]?.points.length === 96 || undefined), 10_000, 'the history stored');
    const rules = [...FIXED_RULES, { ...USUAL_RULES[0]!, asset: 'link-2' }];
    const put = await fetch(`${hub.httpUrl}/api/v1/rules`, {
      method: 'PUT', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ rules, notify: { webhooks: [{ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts`, secret: SECRET }] } }),
    });
    expect(put.status).toBe(200);
    // A reading under the new rules makes the engine compute the usual values; the slow ones after it are held against them.
    const t0 = now - 20 * MIN;
    await hub.publish(link2, { ts: t0 - MIN, seq: 200, speed_kmh: 50 });
    await new Promise((r) => setTimeout(r, 1_000));
    await hub.publish(link2, [0, 2, 4, 5].map((m, i) => ({ ts: t0 + m * MIN, seq: 201 + i, speed_kmh: 20 })));
    const opened = await alertOf('congestion-usual', 'link-2', 'open');
    expect(opened.message).toMatch(/ 40 % slower than usual for 5 min: 20 km\/h, usually 50 km\/h now$/);
  });

  it('sent every event to the webhook, signed', async () => {
    await waitFor(async () => (hooks.length >= 9 ? true : undefined), 10_000, 'webhook deliveries');
    for (const h of hooks) expect(verifyWebhook(SECRET, h.headers, h.body, { nowMs: h.at })).toBeNull();
    const states = hooks.map((h) => (JSON.parse(h.body) as { event: { rule: string; state: string } }).event).map((e) => `${e.rule}:${e.state}`);
    for (const r of ['congestion', 'hotspot-offline', 'building-power', 'night-baseload']) {
      expect(states).toContain(`${r}:opened`);
      expect(states).toContain(`${r}:cleared`);
    }
    const d = await hub.get<{ items: Array<{ status: string }> }>('/api/v1/alerts/deliveries');
    expect(d.status).toBe(401);
  });

  it('serves the KPIs', async () => {
    const k = await hub.get<{ items: Array<{ id: string }> }>('/api/v1/kpis');
    expect(k.status).toBe(200);
    expect(k.body.items.map((i) => i.id)).toEqual(['congestion_index', 'corridor_speed', 'wifi_client_hours', 'wifi_availability', 'energy_per_m2']);
  });
});
