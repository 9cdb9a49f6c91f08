import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeviceRecord } from '@cityhub/contracts';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isDeviceError } from '../errors.js';
import { openRegistry } from '../registry/file-registry.js';
import { serializeRegistry } from '../registry/registry-file.js';
import { generateSecret, hashSecret } from '../registry/secret.js';
import { RedisDocument, type RedisDocumentOptions } from './redis-doc.js';
import { startRedis, type RedisServer } from './redis-server.fixture.js';
import { sleep, until } from './poll.fixture.js';

const hashParams = { N: 1024, r: 8, p: 1 };
const KEY = 'cityhub:doc:devices';

let server: RedisServer;
let admin: Redis;
let dataDir: string;
const closers: Array<() => Promise<void>> = [];
const warnings: unknown[][] = [];
const logger = { warn: (...a: unknown[]) => { warnings.push(a); } };

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

describe('RedisDocument', () => {
  it('fetches the current version before open resolves, and names its key without the password', async () => {
    await admin.hset('cityhub:doc:rules', 'text', '{"rules":[]}', 'version', '7.abc');
    const d = await open('rules');
    expect(d.read()).toEqual({ text: '{"rules":[]}', stamp: '7.abc' });
    expect(d.location).toBe(`${server.url}#cityhub:doc:rules`);
    const empty = await open('tokens');
    expect(empty.read()).toEqual({ text: null, stamp: 'absent' });
  });

  it('retries a transaction when another writer changed the key between its read and its write', async () => {
    const d = await open();
    await d.update(() => ({ text: '["first"]', result: undefined }));
    await admin.ping();
    let calls = 0;
    await d.update((text) => {
      calls++;
      if (calls === 1) {
        // Another writer, after this update's WATCH and before its EXEC. The write leaves at once; the
        // pause gives Redis time to run it before the EXEC is sent.
        void admin.hset(KEY, 'text', '["first","other"]', 'version', '99.other');
        const t = performance.now();
        while (performance.now() - t < 50) { /* hold the EXEC back */ }
      }
      return { text: JSON.stringify([...(JSON.parse(text!) as string[]), 'mine']), result: undefined };
    });
    expect(calls).toBe(2);
    expect(d.conflicts).toBe(1);
    expect(await admin.hget(KEY, 'text')).toBe('["first","other","mine"]');
    expect(await admin.hget(KEY, 'version')).toMatch(/^100\./);
    expect(d.read().text).toBe('["first","other","mine"]');
  });

  it('loses no update when two documents race (2 × 40 increments)', async () => {
    const a = await open();
    const b = await open();
    const inc = (d: RedisDocument) => d.update((text) => ({ text: String(Number(text ?? '0') + 1), result: undefined }));
    await Promise.all(Array.from({ length: 40 }, () => [inc(a), inc(b)]).flat());
    expect(await admin.hget(KEY, 'text')).toBe('80');
    await until(() => a.read().text === '80' && b.read().text === '80', 1_000);
  });

  it('writes nothing when the change aborts or leaves the text as it is', async () => {
    const d = await open();
    await expect(d.update(() => { throw new Error('no'); })).rejects.toThrow('no');
    expect(await d.update(() => ({ result: 42 }))).toBe(42);
    expect(await admin.exists(KEY)).toBe(0);
  });

  it('picks up a write whose notification it missed: sync at once, the periodic check within refetchMs', async () => {
    const a = await open('devices', { refetchMs: 60_000 });
    const b = await open('devices', { refetchMs: 200 });
    // Written without the PUBLISH: as if it happened while the subscriptions were reconnecting.
    await admin.hset(KEY, 'text', 'quiet', 'version', '1.quiet');
    await sleep(50);
    expect(a.read().text).toBeNull();
    await a.sync();
    expect(a.read()).toEqual({ text: 'quiet', stamp: '1.quiet' });
    const took = await until(() => b.read().text === 'quiet', 1_000);
    expect(took).toBeLessThan(600);
  });

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

  it('fails to open with REDIS_UNAVAILABLE when nothing answers, within its timeout, without showing the password', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const port = (s.address() as { port: number }).port;
    await new Promise((r) => s.close(r));
    const t0 = performance.now();
    const err: unknown = await RedisDocument.open(`redis://:hunter2@127.0.0.1:${port}`, 'devices', { connectTimeoutMs: 300 }).then(() => null, (e: unknown) => e);
    expect(isDeviceError(err, 'REDIS_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toContain(`redis://:***@127.0.0.1:${port}#cityhub:doc:devices`);
    expect((err as Error).message).not.toContain('hunter2');
    expect(performance.now() - t0).toBeLessThan(2_000);
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
    expect(isDeviceError(failed, 'REDIS_UNAVAILABLE')).toBe(true);
    // Closing does not wait out the connect timeout of an update under way.
    const stuck = patient.update(() => ({ text: 'z', result: undefined })).then(() => null, (e: unknown) => e);
    const t0 = performance.now();
    await patient.close();
    expect(isDeviceError(await stuck, 'REGISTRY_CLOSED')).toBe(true);
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
