import { createHmac, randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The file of the data directory that keeps the key device secrets are hashed with (mode 0600). */
export const SECRET_KEY_FILE = 'device-secrets.key';
/** The shortest key accepted from configuration (CITYHUB_DEVICE_SECRET_KEY). */
export const MIN_KEY_CHARS = 32;

/** A key device secrets are hashed with, and its short public id (stored with each hash). */
export interface SecretKey { id: string; key: Buffer }

/**
 * The keys a registry knows: `primary` hashes new secrets; hashes made with any other known key still
 * verify (and are re-hashed with the primary on the next login).
 */
export interface SecretKeyring { primary: SecretKey; byId: ReadonlyMap<string, SecretKey> }

/** A key from its text form: the UTF-8 bytes of the trimmed text. Its id names it without revealing it. */
export function secretKey(text: string): SecretKey {
  const key = Buffer.from(text.trim(), 'utf8');
  if (key.length < MIN_KEY_CHARS) throw new Error(`a device secret key must have at least ${MIN_KEY_CHARS} characters`);
  const id = createHmac('sha256', key).update('cityhub device secret key id').digest().subarray(0, 6).toString('base64url');
  return { id, key };
}

/** The data directory's key file, or undefined when there is none. */
async function readKeyFile(path: string): Promise<SecretKey | undefined> {
  try {
    return secretKey(await readFile(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${path}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Creates the key file with a new random key, mode 0600. Written aside and linked into place, so that two
 * processes opening the registry at once (the hub and the CLI) end with one key, and none reads half a file.
 */
async function createKeyFile(dataDir: string, path: string): Promise<SecretKey> {
  await mkdir(dataDir, { recursive: true });
  const aside = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(aside, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(aside, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await rm(aside, { force: true });
  }
  const made = await readKeyFile(path);
  if (!made) throw new Error(`${path} vanished as it was created`);
  return made;
}

/**
 * The keys of a registry. `configured` (CITYHUB_DEVICE_SECRET_KEY) is the primary when given, and the data
 * directory's key file, if there is one, is known beside it. Without it, the key file is the primary,
 * created on first use when `create` (a registry in a file); with `create` false (a registry in Redis,
 * shared by nodes that each have their own data directory) there is no keyring: undefined.
 */
export async function loadSecretKeys(dataDir: string, configured: string | undefined, create: boolean): Promise<SecretKeyring | undefined> {
  const path = join(dataDir, SECRET_KEY_FILE);
  const fromFile = await readKeyFile(path);
  const primary = configured ? secretKey(configured) : (fromFile ?? (create ? await createKeyFile(dataDir, path) : undefined));
  if (!primary) return undefined;
  const byId = new Map<string, SecretKey>([[primary.id, primary]]);
  if (fromFile && !byId.has(fromFile.id)) byId.set(fromFile.id, fromFile);
  return { primary, byId };
}
