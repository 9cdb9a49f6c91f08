import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { scryptPool } from './scrypt-pool.js';
import type { SecretKey, SecretKeyring } from './secret-key.js';

/** scrypt cost parameters: N=2^14, r=8, p=1 (16 MiB, about 25–50 ms on one core here). */
export const SCRYPT_PARAMS = { N: 16_384, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Twice the memory N and r need, so that Node's default limit (32 MiB) never refuses a stored hash. */
const maxmemFor = (N: number, r: number) => 256 * N * r;

/** A new device secret: 24 random bytes (192 bits), base64url (32 characters). Shown once, never stored. */
export function generateSecret(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * scrypt on the worker pool, never on libuv's threadpool (which the spool's fdatasync shares). `bounded`:
 * refused at once (ScryptBusyError) when the pool's queue is full.
 */
function scryptAsync(secret: string, salt: Buffer, keylen: number, N: number, r: number, p: number, bounded: boolean): Promise<Buffer> {
  return scryptPool.hash(secret, salt, keylen, { N, r, p, maxmem: maxmemFor(N, r) }, bounded);
}

/** scrypt cost parameters, as stored in each hash. */
export interface ScryptParams { N: number; r: number; p: number }

/**
 * Hashes a secret as `scrypt$N$r$p$saltB64$hashB64`. Each hash carries its parameters, so hashes of other
 * costs verify too; `params` other than the default are for load tests (see RegistryOptions.hashParams).
 */
export async function hashSecret(secret: string, params: ScryptParams = SCRYPT_PARAMS): Promise<string> {
  const { N, r, p } = params;
  const salt = randomBytes(SALT_BYTES);
  const key = await scryptAsync(secret, salt, KEY_BYTES, N, r, p, false);
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

interface ParsedHash { N: number; r: number; p: number; salt: Buffer; key: Buffer }

function parseHash(stored: string): ParsedHash | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  // Bounds keep a tampered file from making verification allocate gigabytes.
  if (!Number.isInteger(N) || N < 2 || N > 1 << 20 || (N & (N - 1)) !== 0) return undefined;
  if (!Number.isInteger(r) || r < 1 || r > 32 || !Number.isInteger(p) || p < 1 || p > 16) return undefined;
  const salt = Buffer.from(parts[4] ?? '', 'base64');
  const key = Buffer.from(parts[5] ?? '', 'base64');
  if (salt.length < 8 || key.length < 16) return undefined;
  return { N, r, p, salt, key };
}

/** The prefix of a keyed hash: `hmac-sha256$keyId$macB64`. */
const HMAC_PREFIX = 'hmac-sha256$';

/**
 * A keyed hash of a secret: HMAC-SHA-256 with the registry's key, a few microseconds. The hub's secrets are
 * random (see `generateSecret`), so no guess is cheaper than the key and the secret together, and a slow
 * hash buys nothing; scrypt stays for the hashes made before (see `verifySecret`).
 */
export function keyedHash(secret: string, key: SecretKey): string {
  return `${HMAC_PREFIX}${key.id}$${createHmac('sha256', key.key).update(secret, 'utf8').digest('base64')}`;
}

/** The key id of a keyed hash, or undefined for any other hash. */
export function keyIdOf(stored: string): string | undefined {
  return stored.startsWith(HMAC_PREFIX) ? stored.slice(HMAC_PREFIX.length).split('$')[0] : undefined;
}

/**
 * True when `secret` matches a stored hash: a keyed hash (at once, with the key it names; false when that
 * key is not in `keys`), or a `scrypt$…` hash on the worker pool. A malformed hash never matches. Rejects
 * with ScryptBusyError, at once, when too many scrypt checks wait already.
 */
export async function verifySecret(secret: string, stored: string, keys?: SecretKeyring): Promise<boolean> {
  const keyId = keyIdOf(stored);
  if (keyId !== undefined) {
    const key = keys?.byId.get(keyId);
    if (!key) return false;
    const want = Buffer.from(stored);
    const got = Buffer.from(keyedHash(secret, key));
    return want.length === got.length && timingSafeEqual(want, got);
  }
  const h = parseHash(stored);
  if (!h) return false;
  const key = await scryptAsync(secret, h.salt, h.key.length, h.N, h.r, h.p, true);
  return timingSafeEqual(key, h.key);
}

/** True when a hash that matched should be replaced by one made with the primary key of `keys`. */
export function isOutdated(stored: string, keys: SecretKeyring | undefined): boolean {
  return keys !== undefined && keyIdOf(stored) !== keys.primary.id;
}

/** A fast digest of a secret for the in-memory cache of verified secrets (never persisted). */
export function secretDigest(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}
