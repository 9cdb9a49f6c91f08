import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeviceRecord } from '@cityhub/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStateError, RedisDocument } from '@cityhub/state';
import { sleep, until } from '../../../state/test/poll.js';
import { useRedisBed } from '../../../state/test/redis-bed.js';
import { openRegistry } from './file-registry.js';
import { serializeRegistry } from './registry-file.js';
import { generateSecret, hashSecret } from './secret.js';

const hashParams = { N: 1024, r: 8, p: 1 };
const KEY = 'cityhub:doc:devices';

const bed = useRedisBed();
const { warnings, closers, logger, open } = bed;
let dataDir: string;
beforeEach(async () => { dataDir = await mkdtemp(join(tmpdir(), 'cityhub-redis-doc-')); });
afterEach(async () => { await rm(dataDir, { recursive: true, force: true }); });

describe('the registry on Redis', () => {
  it('lets a device added behind its back connect: verify of an unknown id fetches before it says no', async () => {
    const reg = await openRegistry(dataDir, { redisUrl: bed.server.url, refetchMs: 60_000, hashParams });
    closers.push(() => reg.close());
    const secret = generateSecret();
    const rec: DeviceRecord = {
      id: 'tr-quietone', kind: 'traffic', asset: 'link-7', secret_hash: await hashSecret(secret, hashParams), enabled: true, created_at: new Date().toISOString(),
    };
    await bed.admin.hset(KEY, 'text', serializeRegistry([rec]), 'version', '1.quiet');
    expect(reg.get(rec.id)).toBeUndefined();
    expect(await reg.verify(rec.id, secret)).toBe(true);
  });

  it('survives Redis going away: serves the last copy, logs, fails updates cleanly, and works again after a restart', async () => {
    const a = await openRegistry(dataDir, { redisUrl: bed.server.url, hashParams, logger });
    closers.push(() => a.close());
    const b = await openRegistry(dataDir, { redisUrl: bed.server.url, hashParams, logger });
    closers.push(() => b.close());
    const quick = await open('rules', { connectTimeoutMs: 300 });
    const patient = await RedisDocument.open(bed.server.url, 'rules', { connectTimeoutMs: 30_000 });
    const d = await a.add({ kind: 'traffic', asset: 'link-9' });
    expect(await b.verify(d.id, d.secret)).toBe(true);

    bed.server.kill();
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
    await bed.server.restart();
    const e = await pending;
    // This Redis keeps no data (--save ''): the registry restarted empty, with the new device only.
    await until(async () => b.verify(e.id, e.secret), 3_000);
    await until(() => b.get(d.id) === undefined, 3_000);
    expect(a.list().map((r) => r.id)).toEqual([e.id]);
    await quick.update(() => ({ text: 'y', result: undefined }));
    expect(await bed.admin.hget('cityhub:doc:rules', 'text')).toBe('y');
  });
});
