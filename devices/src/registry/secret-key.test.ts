import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, type DeviceRecord } from '@cityhub/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openRegistry, type FileRegistry, type RegistryOptions } from './file-registry.js';
import { serializeRegistry } from './registry-file.js';
import { generateSecret, hashSecret, keyedHash, verifySecret } from './secret.js';
import { loadSecretKeys, secretKey, SECRET_KEY_FILE } from './secret-key.js';

const FAST_SCRYPT = { N: 1024, r: 8, p: 1 };
let dataDir: string;
const open: FileRegistry[] = [];

async function registry(opts?: RegistryOptions): Promise<FileRegistry> {
  const r = await openRegistry(dataDir, opts);
  open.push(r);
  return r;
}

/** A registry file as an older hub left it: one device per secret, hashed with scrypt. */
async function legacyRegistry(secrets: Record<string, string>): Promise<void> {
  const records: DeviceRecord[] = [];
  for (const [id, secret] of Object.entries(secrets)) {
    records.push({ id, kind: 'traffic', asset: 'link-1', secret_hash: await hashSecret(secret, FAST_SCRYPT), enabled: true, created_at: new Date().toISOString() });
  }
  const reg = await registry();
  await writeFile(reg.path, serializeRegistry(records), { mode: 0o600 });
}

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cityhub-secret-key-'));
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
  await rm(dataDir, { recursive: true, force: true });
});

describe('keyed hashes of device secrets', () => {
  it('verify only the right secret, with the key they name, in microseconds', async () => {
    const keys = (await loadSecretKeys(dataDir, undefined, true))!;
    const secret = generateSecret();
    const h = keyedHash(secret, keys.primary);
    expect(h).toBe(keyedHash(secret, keys.primary));
    expect(await verifySecret(secret, h, keys)).toBe(true);
    expect(await verifySecret(secret + 'x', h, keys)).toBe(false);
    // Without the key, or with another, it never matches.
    expect(await verifySecret(secret, h)).toBe(false);
    const other = secretKey('another-key-of-at-least-32-characters');
    expect(await verifySecret(secret, h, { primary: other, byId: new Map([[other.id, other]]) })).toBe(false);
    const t0 = performance.now();
    for (let i = 0; i < 10_000; i++) await verifySecret(`wrong-${i}`, h, keys);
    const perCheckUs = ((performance.now() - t0) * 1000) / 10_000;
    expect(perCheckUs).toBeLessThan(200);
  });

  it('keeps the key in the data directory, mode 0600, made once and read by every process after', async () => {
    const [a, b] = await Promise.all([loadSecretKeys(dataDir, undefined, true), loadSecretKeys(dataDir, undefined, true)]);
    expect(a!.primary.id).toBe(b!.primary.id);
    const path = join(dataDir, SECRET_KEY_FILE);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await readFile(path, 'utf8')).trim().length).toBeGreaterThanOrEqual(32);
    expect((await loadSecretKeys(dataDir, undefined, false))!.primary.id).toBe(a!.primary.id);
    // A registry in Redis does not make one: without configuration it has no key.
    const empty = await mkdtemp(join(tmpdir(), 'cityhub-secret-key-'));
    expect(await loadSecretKeys(empty, undefined, false)).toBeUndefined();
    await rm(empty, { recursive: true, force: true });
    expect(() => secretKey('too short')).toThrow(/at least 32/);
  });

  it('uses a configured key first, and still knows the key file beside it', async () => {
    const fileKeyed = await registry();
    const d = await fileKeyed.add({ kind: 'traffic', asset: 'link-1' });
    const configured = 'a-configured-key-shared-by-every-node';
    const reg = await registry({ secretKey: configured });
    const e = await reg.add({ kind: 'traffic', asset: 'link-2' });
    expect(reg.get(e.id)!.secret_hash.split('$')[1]).toBe(secretKey(configured).id);
    expect(await reg.verify(d.id, d.secret)).toBe(true);
    expect(await reg.verify(e.id, e.secret)).toBe(true);
    // A process with neither key refuses both (and says why in its log).
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (_o: object, m?: string) => void warnings.push(m ?? '') };
    const stranger = await registry({ secretKey: 'yet-another-key-that-nobody-else-has', logger });
    expect(await stranger.verify(e.id, e.secret)).toBe(false);
    expect(warnings.some((w) => /does not have/.test(w))).toBe(true);
  });

  it('migrates a registry of scrypt hashes device by device, at each one\'s next login', async () => {
    const secrets = { 'tr-old-one': generateSecret(), 'tr-old-two': generateSecret() };
    await legacyRegistry(secrets);
    const reg = await registry();
    expect(reg.get('tr-old-one')!.secret_hash).toMatch(/^scrypt\$/);
    expect(await reg.verify('tr-old-one', 'wrong')).toBe(false);
    expect(reg.get('tr-old-one')!.secret_hash).toMatch(/^scrypt\$/);
    expect(await reg.verify('tr-old-one', secrets['tr-old-one'])).toBe(true);
    // Written together a moment later (here: when the registry closes).
    await reg.close();
    const after = await registry();
    expect(after.get('tr-old-one')!.secret_hash).toMatch(/^hmac-sha256\$/);
    expect(after.get('tr-old-two')!.secret_hash).toMatch(/^scrypt\$/);
    expect(await after.verify('tr-old-one', secrets['tr-old-one'])).toBe(true);
    expect(await after.verify('tr-old-two', secrets['tr-old-two'])).toBe(true);
    await new Promise((r) => setTimeout(r, 1_300));
    expect(after.get('tr-old-two')!.secret_hash).toMatch(/^hmac-sha256\$/);
    expect(await (await registry()).verify('tr-old-two', secrets['tr-old-two'])).toBe(true);
  });

  it('does not overwrite a secret reset while the old one was being checked', async () => {
    const secrets = { 'tr-old-three': generateSecret() };
    await legacyRegistry(secrets);
    const reg = await registry();
    expect(await reg.verify('tr-old-three', secrets['tr-old-three'])).toBe(true);
    const fresh = await reg.resetSecret('tr-old-three');
    await reg.close();
    const after = await registry();
    expect(await after.verify('tr-old-three', fresh.secret)).toBe(true);
    expect(await after.verify('tr-old-three', secrets['tr-old-three'])).toBe(false);
  });
});
