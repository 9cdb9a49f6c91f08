import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@cityhub/contracts';
import { createBroker, type RunningBroker } from '@cityhub/broker';
import { pino } from 'pino';
import { sharedBrokerState, type SharedBrokerState } from '../src/wiring/redis.js';
import { ROOT } from './harness.js';
import { startRedis, type RedisServer } from './redis.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts test/fixtures/will-node.ts as its own process; resolves with it and its MQTT port. */
async function nodeProcess(redisUrl: string): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/fixtures/will-node.ts')], { env: { ...process.env, REDIS_URL: redisUrl }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    proc.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    proc.once('exit', () => reject(new Error(`the node exited: ${out}`)));
  });
  return { proc, port };
}

/** Two broker nodes on one real Redis; one is killed (SIGKILL) and the survivor handles its wills. */
describe('wills across broker nodes', () => {
  let redis: RedisServer | undefined;
  let state: SharedBrokerState | undefined;
  let survivor: RunningBroker | undefined;
  let dead: ChildProcess | undefined;
  const clients: MqttClient[] = [];
  afterAll(async () => {
    for (const c of clients) c.end(true);
    dead?.kill('SIGKILL');
    await survivor?.close();
    await state?.close();
    await redis?.stop();
  });

  it('publishes a dead node\'s will only for a device\'s own status while it is connected nowhere, once', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    redis = await startRedis();
    state = sharedBrokerState(redis.url, pino({ level: 'silent' }));
    const statuses: string[] = [];
    const denied: string[] = [];
    survivor = await createBroker({
      logger: silentLogger,
      hooks: {
        authenticate: async (id) => ({ id, kind: 'traffic' }), telemetry: async () => {},
        denied: async (d, topic) => { denied.push(`${d?.id} ${topic}`); },
        status: (d, s) => statuses.push(`${d.id} ${s}`),
        service: (u) => (u === 'svc:city-system' ? { name: 'city' } : null),
      },
      aedes: { ...state.aedes, heartbeatInterval: 200 },
    });
    const b = `mqtt://127.0.0.1:${await survivor.listen('127.0.0.1', 0)}`;
    const a = await nodeProcess(redis.url);
    dead = a.proc;
    const open = async (url: string, id: string, will?: { topic: string; payload: string }) => {
      const c = await mqtt.connectAsync(url, { clientId: id, username: id, password: 'x', protocolVersion: 4, reconnectPeriod: 0, clean: true,
        ...(will && { will: { topic: will.topic, payload: Buffer.from(will.payload), qos: 1, retain: true } }) });
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    };
    const watcher = await open(b, 'svc:city-system');
    const seen: string[] = [];
    watcher.on('message', (t, p) => seen.push(`${t} ${p.toString()}`));
    await watcher.subscribeAsync('city/#', { qos: 1 });
    const aUrl = `mqtt://127.0.0.1:${a.port}`;
    await open(aUrl, 'tr-1', { topic: 'city/traffic/tr-1/status', payload: 'offline' });
    await open(aUrl, 'tr-2', { topic: 'city/traffic/tr-2/telemetry', payload: '{"speed_kmh":1}' });
    await open(aUrl, 'tr-3', { topic: 'city/traffic/tr-3/status', payload: 'offline' });
    await open(aUrl, 'tr-4', { topic: 'city/traffic/tr-4/status', payload: 'gone' });
    await open(aUrl, 'tr-5', { topic: 'city/traffic/tr-1/status', payload: 'offline' });
    await sleep(500);
    a.proc.kill('SIGKILL');
    // tr-3 comes back on the survivor before the dead node's wills are handled.
    await open(b, 'tr-3');
    // Dead after 3 missed heartbeats; wills are handled every 4 heartbeats: a few cycles.
    await sleep(4_000);
    expect(seen).toEqual(['city/traffic/tr-1/status offline']);
    expect(statuses).toEqual(['tr-1 offline']);
    expect(denied).toEqual([]);
    expect(unhandled).toEqual([]);
    process.off('unhandledRejection', onUnhandled);
  }, 60_000);
});
