import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TS_HINT, type DeadLetterList, type DeviceFeedback } from '@cityhub/contracts';
import { CLI, startHub, waitFor, type TestHub } from './harness.js';

const run = promisify(execFile);

interface Added { id: string; secret: string; kind: string; asset: string; gateway?: string }

/** `mosquitto_sub -d` as a device's subscribe-only connection: resolves once subscribed; JSON messages arrive on `next()`. */
async function listen(port: number, dev: Added, topic: string): Promise<{ proc: ChildProcess; next(timeoutMs?: number): Promise<DeviceFeedback> }> {
  // stdbuf: mosquitto_sub's stdout is a pipe here, which C stdio would buffer by the block.
  const proc = spawn('stdbuf', ['-oL', 'mosquitto_sub', '-h', '127.0.0.1', '-p', String(port), '-V', 'mqttv311', '-q', '1', '-d',
    '-i', `${dev.id}:listen`, '-u', dev.id, '-P', dev.secret, '-t', topic], { stdio: ['ignore', 'pipe', 'pipe'] });
  const queue: DeviceFeedback[] = [];
  const waiting: Array<(m: DeviceFeedback) => void> = [];
  let subscribed!: () => void;
  const ready = new Promise<void>((r) => { subscribed = r; });
  createInterface({ input: proc.stdout }).on('line', (line) => {
    if (/received SUBACK/.test(line)) subscribed();
    if (!line.startsWith('{')) return;
    const m = JSON.parse(line) as DeviceFeedback;
    const w = waiting.shift();
    if (w) w(m);
    else queue.push(m);
  });
  let said = '';
  proc.stderr.on('data', (b: Buffer) => { said += b.toString(); });
  await Promise.race([ready, new Promise((_, reject) => setTimeout(() => reject(new Error(`mosquitto_sub did not subscribe: ${said}`)), 20_000))]);
  return {
    proc,
    next: (timeoutMs = 5_000) => new Promise((resolve, reject) => {
      const m = queue.shift();
      if (m) return resolve(m);
      const t = setTimeout(() => reject(new Error('no message on the errors topic')), timeoutMs);
      waiting.push((x) => { clearTimeout(t); resolve(x); });
    }),
  };
}

describe('feedback to devices and gateways, on the real hub with real MQTT clients', () => {
  let hub: TestHub;
  let token: string;
  const cli = async (...args: string[]) => (await run(process.execPath, [CLI, ...args], { env: { ...process.env, CITYHUB_DATA_DIR: hub.dataDir } })).stdout;
  const add = async (...args: string[]) => JSON.parse(await cli('devices', 'add', ...args, '--json')) as Added;
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(hub.httpUrl + path, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };

  beforeAll(async () => {
    hub = await startHub({ simulate: 0 });
    token = (JSON.parse(await cli('tokens', 'add', '--role', 'operator', '--json')) as { token: string }).token;
  }, 120_000);
  afterAll(async () => {
    await hub?.stop();
  });

  it('tells a device on city/{kind}/{id}/errors why each bad payload was refused, within 1 s, to mosquitto_sub with its credentials', async () => {
    const dev = await add('--kind', 'traffic', '--asset', 'link-5');
    const sub = await listen(hub.mqttPort, dev, `city/traffic/${dev.id}/errors`);
    const iso = (ms: number) => new Date(ms).toISOString().replace('Z', '+00:00');
    const cases: Array<[string, string, Partial<DeviceFeedback['errors'][number]>, RegExp]> = [
      ['misspelt field', JSON.stringify({ ts: iso(Date.now()), seq: 1, speed_kmhh: 23 }), { reason: 'schema', field: 'speed_kmhh' }, /speed_kmh \(required\)/],
      ['speed 300', JSON.stringify({ ts: iso(Date.now()), seq: 2, speed_kmh: 300 }), { reason: 'out_of_range', field: 'speed_kmh', seq: 2 }, /from 0 to 250/],
      ['malformed JSON', '{"ts": 1, "seq": oops', { reason: 'malformed_json', field: null }, /JSON object/],
      ['a ts a day ahead', JSON.stringify({ ts: iso(Date.now() + 86_400_000), seq: 4, speed_kmh: 40 }), { reason: 'ts_future', field: 'ts' }, /ISO 8601 with an offset/],
      ['ts without offset', JSON.stringify({ ts: '2026-12-05T08:30:00', seq: 5, speed_kmh: 40 }), { reason: 'schema', field: 'ts', hint: TS_HINT }, /ISO 8601/],
    ];
    try {
      for (const [what, payload, expected, hint] of cases) {
        const t0 = performance.now();
        await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(hub.mqttPort), '-V', 'mqttv311', '-q', '1',
          '-i', dev.id, '-u', dev.id, '-P', dev.secret, '-t', `city/traffic/${dev.id}/telemetry`, '-m', payload]);
        const m = await sub.next(1_000);
        const ms = performance.now() - t0;
        console.log(`${what}: ${m.errors[0]?.reason} on ${m.errors[0]?.field} after ${ms.toFixed(0)} ms`);
        expect(ms, what).toBeLessThan(1_000);
        expect(m, what).toMatchObject({ topic: `city/traffic/${dev.id}/telemetry`, accepted: 0, omitted: 0 });
        expect(m.errors, what).toHaveLength(1);
        expect(m.errors[0], what).toMatchObject(expected);
        expect(m.errors[0]!.hint, what).toMatch(hint);
      }
    } finally {
      sub.proc.kill();
    }
    // The ts without an offset says so.
    const letters = await waitFor(async () => {
      const l = await api<DeadLetterList>(`/api/v1/deadletters?device=${dev.id}`);
      return l.items.length === 5 ? l : undefined;
    }, 5_000, 'five dead letters');
    expect(letters.items.map((d) => d.message).join('\n')).toMatch(/has no UTC offset/);
    // Logged at warn with the device and the reason, once a minute per device.
    await waitFor(async () => (hub.output().includes('readings refused') ? true : undefined), 2_000, 'the warning');
    const lines = hub.output().split('\n').filter((l) => l.includes('readings refused') && l.includes(dev.id));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/"reason":"schema"/);
  });

  it('refuses a publish to the errors topic and a subscribe-only connection that publishes', async () => {
    const dev = await add('--kind', 'wifi', '--asset', 'hotspot-white-tower');
    const c = await mqtt.connectAsync(hub.mqttUrl, { clientId: `${dev.id}:listen`, username: dev.id, password: dev.secret, protocolVersion: 4, reconnectPeriod: 0 });
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    c.publish(`city/wifi/${dev.id}/telemetry`, JSON.stringify({ ts: Date.now(), seq: 1, clients: 3 }), { qos: 1 });
    await closed;
    c.end(true);
    const d = await mqtt.connectAsync(hub.mqttUrl, { clientId: dev.id, username: dev.id, password: dev.secret, protocolVersion: 4, reconnectPeriod: 0 });
    const closed2 = new Promise<void>((r) => d.once('close', () => r()));
    d.publish(`city/wifi/${dev.id}/errors`, '{}', { qos: 1 });
    await closed2;
    d.end(true);
    const letters = await waitFor(async () => {
      const l = await api<DeadLetterList>(`/api/v1/deadletters?device=${dev.id}`);
      return l.items.length === 2 ? l : undefined;
    }, 5_000, 'two dead letters');
    expect(letters.items.map((l) => l.reason)).toEqual(['topic_denied', 'topic_denied']);
  });
});
