import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, type DeviceRecord } from '@cityhub/contracts';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isStateError, RedisDocument, type RedisDocumentOptions } from '@cityhub/state';
import { openRegistry } from './file-registry.js';
import { serializeRegistry } from './registry-file.js';
import { generateSecret, hashSecret } from './secret.js';
import { startRedis, sleep, until, type RedisServer } from './state.fixture.js';

const hashParams = { N: 1024, r: 8, p: 1 };
const KEY = 'cityhub:doc:devices';

let server: RedisServer;
let admin: Redis;
let dataDir: string;
const closers: Array<() => Promise<void>> = [];
const warnings: unknown[][] = [];
const logger = { ...silentLogger, warn: (...a: unknown[]) => { warnings.push(a); } };

async function open(name = 'devices', opts: RedisDocumentOptions = {}): Promise<RedisDocument> {
  const d = await RedisDocument.open(server.url, name, { logger, ...opts });
  closers.push(() => d.close());
  return d;
}

beforeAll(async () => {
  server = await startRedis();
  admin = new Redis(server.url);
  // The admin connection lives through the restarts below.
  admin.on('error', () => undefined);
});
afterAll(async () => {
  admin.disconnect();
  await server.stop();
});
beforeEach(async () => {
  warnings.length = 0;
  dataDir = await mkdtemp(join(tmpdir(), 'cityhub-redis-doc-'));
  await admin.flushall();
});
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
  await rm(dataDir, { recursive: true, force: true });
});

describe('the registry on Redis', () => {
  it('lets a device added behind its back connect: verify of an unknown id fetches before it says no', async () => {
    const reg = await openRegistry(dataDir, { redisUrl: server.url, refetchMs: 60_000, hashParams });
    closers.push(() => reg.close());
    const secret = generateSecret();
    const rec: DeviceRecord = {
      id: 'tr-quietone', kind: 'traffic', asset: 'link-7', secret_hash: await hashSecret(secret, hashParams), enabled: true, created_at: new Date().toISOString(),
    };
    await admin.hset(KEY, 'text', serializeRegistry([rec]), 'version', '1.quiet');
    expect(reg.get(rec.id)).toBeUndefined();
    expect(await reg.verify(rec.id, secret)).toBe(true);
  });

  it('survives Redis going away: serves the last copy, logs, fails updates cleanly, and works again after a restart', async () => {
    const a = await openRegistry(dataDir, { redisUrl: server.url, hashParams, logger });
    closers.push(() => a.close());
    const b = await openRegistry(dataDir, { redisUrl: server.url, hashParams, logger });
    closers.push(() => b.close());
    const quick = await open('rules', { connectTimeoutMs: 300 });
    const patient = await RedisDocument.open(server.url, 'rules', { connectTimeoutMs: 30_000 });
    const d = await a.add({ kind: 'traffic', asset: 'link-9' });
    expect(await b.verify(d.id, d.secret)).toBe(true);

    server.kill();
    await until(() => warnings.length > 0, 3_000);
    // Known devices keep connecting from memory; unknown ones are refused, nothing throws.
    expect(await b.verify(d.id, d.secret)).toBe(true);
    expect(b.get(d.id)?.asset).toBe('link-9');
    expect(await b.verify('tr-nosuchdv', d.secret)).toBe(false);
    const failed: unknown = await quick.update(() => ({ text: 'x', result: undefined })).then(() => null, (e: unknown) => e);
    expect(isStateError(failed, 'STATE_UNAVAILABLE')).toBe(true);
    // Closing does not wait out the connect timeout of an update under way.
    const stuck = patient.update(() => ({ text: 'z', result: undefined })).then(() => null, (e: unknown) => e);
    const t0 = performance.now();
    await patient.close();
    expect(isStateError(await stuck, 'STATE_CLOSED')).toBe(true);
    expect(performance.now() - t0).toBeLessThan(1_000);

    // An update started during the outage waits for Redis to come back.
    const pending = a.add({ kind: 'traffic', asset: 'link-10' });
    await sleep(200);
    await server.restart();
    const e = await pending;
    // This Redis keeps no data (--save ''): the registry restarted empty, with the new device only.
    await until(async () => b.verify(e.id, e.secret), 3_000);
    await until(() => b.get(d.id) === undefined, 3_000);
    expect(a.list().map((r) => r.id)).toEqual([e.id]);
    await quick.update(() => ({ text: 'y', result: undefined }));
    expect(await admin.hget('cityhub:doc:rules', 'text')).toBe('y');
  });
});
