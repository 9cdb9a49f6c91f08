import { randomBytes, scryptSync } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openRegistry } from './file-registry.js';
import { ScryptBusyError, ScryptPool } from './scrypt-pool.js';
import { hashSecret, SCRYPT_PARAMS, verifySecret } from './secret.js';

const OPTS = { ...SCRYPT_PARAMS, maxmem: 64 * 1024 * 1024 };

describe('ScryptPool', () => {
  const pool = new ScryptPool(1, 2);
  afterAll(() => pool.close());

  it('derives the same key as scryptSync, on a worker thread', async () => {
    const salt = randomBytes(16);
    expect(await pool.hash('a secret', salt, 32, OPTS, true)).toEqual(scryptSync('a secret', salt, 32, OPTS));
  });

  it('refuses at once beyond its queue bound, and still serves the ones it took', async () => {
    const salt = randomBytes(16);
    const started = Date.now();
    const all = Array.from({ length: 6 }, (_, i) => pool.hash(`s${i}`, salt, 32, OPTS, true));
    const settled = await Promise.allSettled(all);
    // One running, two queued; the other three refused without waiting for them.
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(3);
    const refused = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    expect(refused).toHaveLength(3);
    for (const r of refused) expect(r.reason).toBeInstanceOf(ScryptBusyError);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('queues without a bound for provisioning (unbounded callers)', async () => {
    const salt = randomBytes(16);
    const keys = await Promise.all(Array.from({ length: 5 }, (_, i) => pool.hash(`p${i}`, salt, 16, { N: 1024, r: 8, p: 1, maxmem: OPTS.maxmem }, false)));
    expect(keys).toHaveLength(5);
  });

  it('leaves libuv\'s threadpool free: file system calls answer while many checks run', async () => {
    const stored = await hashSecret('right');
    const checks = Promise.allSettled(Array.from({ length: 30 }, (_, i) => verifySecret(`wrong-${i}`, stored)));
    // Queued behind 30 scrypt runs on the 4-thread pool, the first of these would wait for about 8 of them
    // in a row; on the worker it waits for none. Generous, for a loaded machine.
    const t0 = Date.now();
    await stat(tmpdir());
    const first = Date.now() - t0;
    let done = false;
    void checks.then(() => { done = true; });
    expect(done).toBe(false);
    expect(first).toBeLessThan(2_000);
    const settled = await checks;
    expect(settled.every((d) => d.status === 'rejected' ? d.reason instanceof ScryptBusyError : d.value === false)).toBe(true);
  }, 30_000);
});

describe('FileRegistry.verify with cachedOnly', () => {
  it('answers from secrets verified before only, and forgets them when the device is disabled', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cityhub-scrypt-'));
    const reg = await openRegistry(dir, { hashParams: { N: 1024, r: 8, p: 1 } });
    try {
      const d = await reg.add({ kind: 'traffic', asset: 'link-1', id: 'tr-cached' });
      // A device just added is known with its secret; a wrong secret is never accepted without a check.
      expect(await reg.verify(d.id, d.secret, { cachedOnly: true })).toBe(true);
      expect(await reg.verify(d.id, 'wrong', { cachedOnly: true })).toBe(false);
      expect(await reg.verify('tr-unknown', d.secret, { cachedOnly: true })).toBe(false);
      await reg.setEnabled(d.id, false);
      expect(await reg.verify(d.id, d.secret, { cachedOnly: true })).toBe(false);
      await reg.setEnabled(d.id, true);
      expect(await reg.verify(d.id, d.secret, { cachedOnly: true })).toBe(false);
      expect(await reg.verify(d.id, d.secret)).toBe(true);
      expect(await reg.verify(d.id, d.secret, { cachedOnly: true })).toBe(true);
    } finally {
      await reg.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
