// Sessions end when their credentials do, across processes: a device disabled and a token revoked through
// another registry and token store on the same Redis (as the CLI does) lose their MQTT sessions within 2 s.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBroker, type RunningBroker } from '@cityhub/broker';
import { parseConfig, silentLogger } from '@cityhub/contracts';
import { openRegistry, TokenStore, type FileRegistry } from '@cityhub/devices';
import { Ingest } from '@cityhub/ingest';
import { createDuckDbStore, type Store } from '@cityhub/store';
import { startRedis, type RedisServer } from './redis.js';
import { deviceHooks, endRevokedSessions } from '../src/wiring/broker.js';
import { serviceHook } from '../src/wiring/service.js';
import { Stops } from '../src/wiring/stops.js';
import { createLogger } from '../src/ops/logger.js';

const hashParams = { N: 1024, r: 8, p: 1 };

describe('sessions end with their credentials (real Redis, real MQTT)', () => {
  let redis: RedisServer;
  let dir: string;
  let store: Store;
  let registry: FileRegistry;
  let tokens: TokenStore;
  let ingest: Ingest;
  let broker: RunningBroker;
  let url: string;
  const stops = new Stops(createLogger({ CITYHUB_LOG_LEVEL: 'silent' }));
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    dir = await mkdtemp(join(tmpdir(), 'cityhub-sessions-'));
    store = createDuckDbStore({ path: join(dir, 'store.duckdb') });
    await store.init();
    registry = await openRegistry(dir, { redisUrl: redis.url, hashParams });
    tokens = await TokenStore.open(dir, { redisUrl: redis.url });
    ingest = await Ingest.open({ store, registry, dataDir: dir, logger: silentLogger, writer: { intervalMs: 5 } });
    ingest.start();
    const config = parseConfig({});
    broker = await createBroker({ logger: silentLogger, hooks: { ...deviceHooks(registry, ingest), service: serviceHook(config, tokens) } });
    url = `mqtt://127.0.0.1:${await broker.listen('127.0.0.1', 0)}`;
    endRevokedSessions(broker, registry, tokens, stops);
  });
  afterAll(async () => {
    for (const c of clients) c.end(true);
    await stops.run();
    await broker?.close();
    await ingest?.close();
    await tokens?.close();
    await registry?.close();
    await store?.close();
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const open = async (clientId: string, username: string, password: string) => {
    const c = await mqtt.connectAsync(url, { clientId, username, password, protocolVersion: 4, reconnectPeriod: 0 });
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  };
  const closedWithin = (c: MqttClient, ms: number) => new Promise<number>((resolve, reject) => {
    const t0 = Date.now();
    const t = setTimeout(() => reject(new Error(`still connected after ${ms} ms`)), ms);
    c.once('close', () => { clearTimeout(t); resolve(Date.now() - t0); });
  });

  it('disconnects a device disabled in another process within 2 s, and refuses it afterwards', async () => {
    const [a, b] = await registry.addMany([{ kind: 'traffic', asset: 'link-1' }, { kind: 'traffic', asset: 'link-2' }]);
    const device = await open(a!.id, a!.id, a!.secret);
    const other = await open(b!.id, b!.id, b!.secret);
    expect(broker.connectedDevices()).toBe(2);
    const cli = await openRegistry(join(dir, 'cli'), { redisUrl: redis.url, hashParams });
    const closed = closedWithin(device, 2_000);
    await cli.setEnabled(a!.id, false);
    await cli.close();
    expect(await closed).toBeLessThan(2_000);
    expect(other.connected).toBe(true);
    await expect(open(a!.id, a!.id, a!.secret)).rejects.toThrow(/bad user ?name or password/i);
  });

  it('disconnects a subscriber whose token was revoked in another process within 2 s', async () => {
    const cli = await TokenStore.open(join(dir, 'cli'), { redisUrl: redis.url });
    const t = await cli.add('operator');
    const kept = await cli.add('operator');
    const follower = await open('svc:follower', 'token', t.token);
    const stays = await open('svc:stays', 'token', kept.token);
    expect(broker.serviceClients()).toBe(2);
    const closed = closedWithin(follower, 2_000);
    await cli.revoke(t.id);
    await cli.close();
    expect(await closed).toBeLessThan(2_000);
    expect(stays.connected).toBe(true);
  });
});
