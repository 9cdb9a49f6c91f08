import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DEVICE_ID_PATTERN, DeviceRecord, silentLogger } from '@cityhub/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeviceError } from '../errors.js';
import { FileRegistry, openRegistry } from './file-registry.js';
import { generateSecret, hashSecret, verifySecret } from './secret.js';

const run = promisify(execFile);
let dataDir: string;
const open: FileRegistry[] = [];

async function registry(opts?: Parameters<typeof openRegistry>[1]): Promise<FileRegistry> {
  const r = await openRegistry(dataDir, opts);
  open.push(r);
  return r;
}

async function rejectsWithCode(p: Promise<unknown>, code: string): Promise<DeviceError> {
  const e: unknown = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(DeviceError);
  expect((e as DeviceError).code).toBe(code);
  return e as DeviceError;
}

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cityhub-registry-'));
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
  await rm(dataDir, { recursive: true, force: true });
});

describe('secrets', () => {
  it('hash with scrypt and verify only the right secret; a malformed hash never matches', async () => {
    const secret = generateSecret();
    const h = await hashSecret(secret);
    expect(await verifySecret(secret, h)).toBe(true);
    expect(await verifySecret(generateSecret(), h)).toBe(false);
    expect(await hashSecret(secret)).not.toBe(h); // salted
    for (const bad of ['', 'scrypt$16384$8$1$$', 'bcrypt$x', 'scrypt$1073741824$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==']) {
      expect(await verifySecret(secret, bad)).toBe(false);
    }
  });
});

describe('FileRegistry', () => {
  it('adds a device, verifies its secret and stores only a keyed hash', async () => {
    const reg = await registry();
    const d = await reg.add({ kind: 'traffic', asset: 'link-12' });
    expect(d.id).toMatch(/^tr-[a-z2-7]{8}$/);
    expect(d.id).toMatch(DEVICE_ID_PATTERN);
    expect(d).toMatchObject({ kind: 'traffic', asset: 'link-12' });
    expect(d.secret).toMatch(/^[A-Za-z0-9_-]{32}$/);

    const rec = reg.get(d.id)!;
    expect(DeviceRecord.parse(rec)).toEqual(rec);
    expect(rec.enabled).toBe(true);
    expect(rec.secret_hash).toMatch(/^hmac-sha256\$[A-Za-z0-9_-]{8}\$[A-Za-z0-9+/=]{44}$/);

    expect(await reg.verify(d.id, d.secret)).toBe(true);
    expect(await reg.verify(d.id, d.secret + 'x')).toBe(false);
    expect(await reg.verify(d.id, '')).toBe(false);
    expect(await reg.verify('tr-nosuchdv', d.secret)).toBe(false);
    // Another instance (another process) has no cached verification: this checks the stored hash.
    const other = await registry();
    expect(await other.verify(d.id, d.secret)).toBe(true);
    expect(await other.verify(d.id, d.secret.slice(1))).toBe(false);

    const text = await readFile(reg.path, 'utf8');
    expect(text).not.toContain(d.secret);
    expect(text).toContain(rec.secret_hash);
    expect((await stat(reg.path)).mode & 0o777).toBe(0o600);

    const w = await reg.add({ kind: 'wifi', asset: 'hotspot-white-tower' });
    const e = await reg.add({ kind: 'energy', asset: 'building-rotunda' });
    expect(w.id).toMatch(/^wf-/);
    expect(e.id).toMatch(/^en-/);
    expect(reg.list().map((r) => r.id)).toEqual([d.id, w.id, e.id]);
  });

  it('keeps explicit ids, refuses duplicates, bad ids, unknown assets and wrong kinds', async () => {
    const reg = await registry();
    const d = await reg.add({ kind: 'traffic', asset: 'link-12', id: 'sim-link-12', simulated: true });
    expect(d.id).toBe('sim-link-12');
    expect(reg.get('sim-link-12')?.simulated).toBe(true);

    await rejectsWithCode(reg.add({ kind: 'traffic', asset: 'link-13', id: 'sim-link-12' }), 'DUPLICATE_ID');
    await rejectsWithCode(reg.add({ kind: 'traffic', asset: 'link-13', id: 'Bad/Id' }), 'BAD_ID');
    await rejectsWithCode(reg.add({ kind: 'traffic', asset: 'link-13', id: 'ab' }), 'BAD_ID');
    const unknown = await rejectsWithCode(reg.add({ kind: 'traffic', asset: 'link-999999' }), 'UNKNOWN_ASSET');
    expect(unknown.message).toContain('link-999999');
    const wrong = await rejectsWithCode(reg.add({ kind: 'wifi', asset: 'link-12' }), 'WRONG_KIND');
    expect(wrong.message).toContain('traffic');
    await rejectsWithCode(reg.add({ kind: 'parking' as never, asset: 'link-12' }), 'BAD_KIND');
    // A batch with one bad entry creates nothing.
    await rejectsWithCode(reg.addMany([{ kind: 'traffic', asset: 'link-1' }, { kind: 'traffic', asset: 'nope' }]), 'UNKNOWN_ASSET');
    await rejectsWithCode(reg.addMany([{ kind: 'traffic', asset: 'link-1', id: 'x-dup' }, { kind: 'traffic', asset: 'link-2', id: 'x-dup' }]), 'DUPLICATE_ID');
    expect(reg.list()).toHaveLength(1);
  });

  it('disables and enables devices; a disabled device fails verify', async () => {
    const reg = await registry();
    const d = await reg.add({ kind: 'energy', asset: 'building-rotunda' });
    expect(await reg.verify(d.id, d.secret)).toBe(true);
    expect((await reg.setEnabled(d.id, false)).enabled).toBe(false);
    expect(await reg.verify(d.id, d.secret)).toBe(false);
    expect(reg.get(d.id)?.enabled).toBe(false);
    await reg.setEnabled(d.id, true);
    expect(await reg.verify(d.id, d.secret)).toBe(true);
    await rejectsWithCode(reg.setEnabled('en-nosuchdv', false), 'UNKNOWN_DEVICE');
    await rejectsWithCode(reg.resetSecret('en-nosuchdv'), 'UNKNOWN_DEVICE');
  });

  it('hands out its own record, frozen: nothing a caller does changes the registry, and a change makes a new record', async () => {
    const reg = await registry();
    const d = await reg.add({ kind: 'energy', asset: 'building-rotunda' });
    const before = reg.get(d.id)!;
    expect(reg.get(d.id)).toBe(before);
    expect(Object.isFrozen(before)).toBe(true);
    expect(() => { (before as { enabled: boolean }).enabled = false; }).toThrow(TypeError);
    expect(await reg.verify(d.id, d.secret)).toBe(true);
    await reg.setEnabled(d.id, false);
    expect(before.enabled).toBe(true);
    expect(reg.get(d.id)?.enabled).toBe(false);
  });

  it('lets a second instance see a device the first added, at once, through get', async () => {
    const a = await registry();
    const b = await registry({ refreshMs: 60_000 });
    expect(b.list()).toEqual([]);
    const d = await a.add({ kind: 'wifi', asset: 'hotspot-rotunda' });
    expect(b.get(d.id)?.asset).toBe('hotspot-rotunda');
    expect(await b.verify(d.id, d.secret)).toBe(true);
    const d2 = await b.add({ kind: 'wifi', asset: 'hotspot-rotunda' });
    expect(a.list().map((r) => r.id)).toEqual([d.id, d2.id]);
  });

  it('serves a verified secret from memory and forgets it when the secret or the state changes elsewhere', async () => {
    const a = await registry({ refreshMs: 0 });
    const other = await registry();
    const d = await a.add({ kind: 'traffic', asset: 'link-1' });
    expect(await a.verify(d.id, d.secret)).toBe(true);

    // scrypt costs tens of milliseconds; 200 cached checks must not run it.
    const t0 = performance.now();
    for (let i = 0; i < 200; i++) expect(await a.verify(d.id, d.secret)).toBe(true);
    const cachedMs = performance.now() - t0;
    expect(cachedMs).toBeLessThan(400);

    await other.setEnabled(d.id, false);
    expect(await a.verify(d.id, d.secret)).toBe(false);
    await other.setEnabled(d.id, true);
    const fresh = await other.resetSecret(d.id);
    expect(await a.verify(d.id, d.secret)).toBe(false);
    expect(await a.verify(d.id, fresh.secret)).toBe(true);
  });

  it('shares one scrypt run among concurrent checks of the same secret', async () => {
    const reg = await registry();
    const d = await reg.add({ kind: 'traffic', asset: 'link-2' });
    const results = await Promise.all(Array.from({ length: 50 }, () => reg.verify(d.id, d.secret)));
    expect(results.every(Boolean)).toBe(true);
  });

  it('loses nothing when two processes add 50 devices each at the same time', async () => {
    await registry(); // creates the folder, as the hub would
    const fixture = fileURLToPath(new URL('./concurrent-writer.fixture.ts', import.meta.url));
    const child = () =>
      run(process.execPath, ['--conditions=source', '--import', 'tsx', fixture, dataDir, '50'], { timeout: 40_000 });
    const [x, y] = await Promise.all([child(), child()]);
    const idsX = JSON.parse(x.stdout) as string[];
    const idsY = JSON.parse(y.stdout) as string[];
    expect(idsX).toHaveLength(50);
    expect(idsY).toHaveLength(50);
    const fresh = await registry();
    const ids = fresh.list().map((r) => r.id);
    expect(ids).toHaveLength(100);
    expect(new Set(ids)).toEqual(new Set([...idsX, ...idsY]));
    // The lock file is gone and no temporary file is left behind.
    expect(await readdir(join(dataDir, 'registry'))).toEqual(['devices.json']);
  }, 45_000);

  it('takes over a stale lock of a dead process and waits for a live one', async () => {
    const reg = await registry({ lockTimeoutMs: 300, staleLockMs: 10_000 });
    const lock = join(reg.dir, 'devices.json.lock');
    const dead = spawn(process.execPath, ['-e', '']);
    const deadPid = await new Promise<number>((resolve) => dead.on('exit', () => resolve(dead.pid!)));

    await writeFile(lock, JSON.stringify({ pid: process.pid, host: hostname(), token: 'live', at: Date.now() }));
    await rejectsWithCode(reg.add({ kind: 'traffic', asset: 'link-3' }), 'REGISTRY_LOCKED');

    await writeFile(lock, JSON.stringify({ pid: deadPid, host: hostname(), token: 'dead', at: 0 }));
    const old = new Date(Date.now() - 60_000);
    await utimes(lock, old, old);
    const d = await reg.add({ kind: 'traffic', asset: 'link-3' });
    expect(reg.get(d.id)).toBeDefined();
    expect(await readFile(lock).catch(() => null)).toBeNull();
  });

  it('refuses a corrupt file at open and keeps serving the last good copy while running', async () => {
    const warnings: unknown[] = [];
    const reg = await registry({ logger: { ...silentLogger, warn: (...a: unknown[]) => warnings.push(a) } });
    const d = await reg.add({ kind: 'traffic', asset: 'link-4' });
    await writeFile(reg.path, '{"version":1,"devices":[{"id":"x"}]}');
    expect(reg.get('tr-unknownx')).toBeUndefined();
    expect(reg.get(d.id)?.asset).toBe('link-4');
    expect(warnings.length).toBeGreaterThan(0);
    await rejectsWithCode(openRegistry(dataDir), 'REGISTRY_CORRUPT');
    // A mutation never overwrites a file it cannot read.
    await rejectsWithCode(reg.add({ kind: 'traffic', asset: 'link-4' }), 'REGISTRY_CORRUPT');
  });
});
