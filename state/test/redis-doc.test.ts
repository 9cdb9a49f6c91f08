import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isStateError } from '../src/errors.js';
import { RedisDocument } from '../src/redis-doc.js';
import { sleep, until } from './poll.js';
import { useRedisBed } from './redis-bed.js';

const KEY = 'cityhub:doc:devices';

const bed = useRedisBed();
const { open } = bed;

describe('RedisDocument', () => {
  it('fetches the current version before open resolves, and names its key without the password', async () => {
    await bed.admin.hset('cityhub:doc:rules', 'text', '{"rules":[]}', 'version', '7.abc');
    const d = await open('rules');
    expect(d.read()).toEqual({ text: '{"rules":[]}', stamp: '7.abc' });
    expect(d.location).toBe(`${bed.server.url}#cityhub:doc:rules`);
    const empty = await open('tokens');
    expect(empty.read()).toEqual({ text: null, stamp: 'absent' });
  });

  it('retries a transaction when another writer changed the key between its read and its write', async () => {
    const d = await open();
    await d.update(() => ({ text: '["first"]', result: undefined }));
    await bed.admin.ping();
    let calls = 0;
    await d.update((text) => {
      calls++;
      if (calls === 1) {
        // Another writer, after this update's WATCH and before its EXEC. The write leaves at once; the
        // pause gives Redis time to run it before the EXEC is sent.
        void bed.admin.hset(KEY, 'text', '["first","other"]', 'version', '99.other');
        const t = performance.now();
        while (performance.now() - t < 50) { /* hold the EXEC back */ }
      }
      return { text: JSON.stringify([...(JSON.parse(text!) as string[]), 'mine']), result: undefined };
    });
    expect(calls).toBe(2);
    expect(d.conflicts).toBe(1);
    expect(await bed.admin.hget(KEY, 'text')).toBe('["first","other","mine"]');
    expect(await bed.admin.hget(KEY, 'version')).toMatch(/^100\./);
    expect(d.read().text).toBe('["first","other","mine"]');
  });

  it('loses no update when two documents race (2 × 40 increments)', async () => {
    const a = await open();
    const b = await open();
    const inc = (d: RedisDocument) => d.update((text) => ({ text: String(Number(text ?? '0') + 1), result: undefined }));
    await Promise.all(Array.from({ length: 40 }, () => [inc(a), inc(b)]).flat());
    expect(await bed.admin.hget(KEY, 'text')).toBe('80');
    await until(() => a.read().text === '80' && b.read().text === '80', 1_000);
  });

  it('writes nothing when the change aborts or leaves the text as it is', async () => {
    const d = await open();
    await expect(d.update(() => { throw new Error('no'); })).rejects.toThrow('no');
    expect(await d.update(() => ({ result: 42 }))).toBe(42);
    expect(await bed.admin.exists(KEY)).toBe(0);
  });

  it('picks up a write whose notification it missed: sync at once, the periodic check within refetchMs', async () => {
    const a = await open('devices', { refetchMs: 60_000 });
    const b = await open('devices', { refetchMs: 200 });
    // Written without the PUBLISH: as if it happened while the subscriptions were reconnecting.
    await bed.admin.hset(KEY, 'text', 'quiet', 'version', '1.quiet');
    await sleep(50);
    expect(a.read().text).toBeNull();
    await a.sync();
    expect(a.read()).toEqual({ text: 'quiet', stamp: '1.quiet' });
    const took = await until(() => b.read().text === 'quiet', 1_000);
    expect(took).toBeLessThan(600);
  });

  it('fails to open with STATE_UNAVAILABLE when nothing answers, within its timeout, without showing the password', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const port = (s.address() as { port: number }).port;
    await new Promise((r) => s.close(r));
    const t0 = performance.now();
    const err: unknown = await RedisDocument.open(`redis://:hunter2@127.0.0.1:${port}`, 'devices', { connectTimeoutMs: 300 }).then(() => null, (e: unknown) => e);
    expect(isStateError(err, 'STATE_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toContain(`redis://:***@127.0.0.1:${port}#cityhub:doc:devices`);
    expect((err as Error).message).not.toContain('hunter2');
    expect(performance.now() - t0).toBeLessThan(2_000);
  });
});
