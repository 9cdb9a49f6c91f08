import { timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import type { DeviceRecord, DeviceRegistry, Logger, NewDevice, SharedDocument } from '@cityhub/contracts';
import { DeviceError } from '../errors.js';
import { mapLimit } from '../util/map-limit.js';
import { openDeviceDocument } from './device-doc.js';
import { checkDeviceInput, type AddDeviceInput } from './device-input.js';
import { generateDeviceId } from './ids.js';
import { parseRegistry, serializeRegistry } from './registry-file.js';
import { generateSecret, hashSecret, isOutdated, keyedHash, keyIdOf, secretDigest, verifySecret, type ScryptParams } from './secret.js';
import { loadSecretKeys, SECRET_KEY_FILE, type SecretKeyring } from './secret-key.js';
import { RehashQueue, type Rehash } from './rehash.js';

export type { AddDeviceInput } from './device-input.js';

/** Options of {@link openRegistry}. */
export interface RegistryOptions {
  /**
   * CITYHUB_REDIS_URL: keep the registry in this Redis (key `cityhub:doc:devices`), shared by every broker,
   * api node and the CLI, instead of `<dataDir>/registry/devices.json`.
   */
  redisUrl?: string | undefined;
  /** Where problems that are not the caller's (an unreadable registry, a Redis outage) are reported. */
  logger?: Logger;
  /**
   * How often `get` of a known id looks for changes by other processes (ms). Default 1000 for the file (it
   * costs a `stat`), 0 for Redis (the copy in memory, kept current by a subscription, costs nothing).
   */
  refreshMs?: number;
  /** How long a mutation waits for the registry's lock file (ms). Default 15000. */
  lockTimeoutMs?: number;
  /** Age after which a lock whose process is gone is taken over (ms). Default 10000. */
  staleLockMs?: number;
  /** Redis only: how often to look for a version a lost notification did not announce (ms). Default 2000. */
  refetchMs?: number;
  /**
   * Synthetic catalogue assets devices may be installed on (`syn-…` ids, see `loadCatalogue` in
   * contracts; default 0). The hub's CITYHUB_SYNTHETIC_ASSETS.
   */
  syntheticAssets?: number;
  /**
   * CITYHUB_DEVICE_SECRET_KEY: the key device secrets are hashed with (HMAC-SHA-256), at least 32
   * characters; the same on every node that shares a registry in Redis. Unset, a registry in a file uses
   * the key in `<dataDir>/device-secrets.key` (made on first use, mode 0600), and one in Redis hashes with
   * scrypt as before, tens of milliseconds of CPU per check.
   */
  secretKey?: string | undefined;
  /**
   * scrypt cost of the hashes this registry makes when it has no key (default SCRYPT_PARAMS). Only load
   * tests lower it; each hash keeps its own parameters, so every process verifies it whatever its setting.
   */
  hashParams?: ScryptParams;
}

/** Parallel scrypt hashes: libuv runs four at once by default, more would only queue. */
const HASH_CONCURRENCY = 4;
/** How long re-hashed secrets gather before they are written in one update of the registry. */
const REHASH_DELAY_MS = 1_000;

interface Verified { hash: string; digest: Buffer }

/**
 * The device registry, kept in a {@link SharedDocument}: the JSON file `<dataDir>/registry/devices.json`
 * on one machine (the CLI can add a device while the hub runs: DuckDB admits one writer process, a file
 * under a lock admits many), or a Redis key shared by several broker and api nodes.
 *
 * Reads are served from memory. An unknown id looks at the document at once (a `stat` of the file; for
 * Redis, `verify` fetches), so a device added by `cityhub devices add` or on another node can connect at
 * once; a known id re-checks at most every `refreshMs`, so that disabling a device elsewhere takes effect
 * within a second or two. Every mutation is an atomic read-change-write of the whole document (under the
 * lock file, or a Redis transaction): concurrent writers in several processes lose nothing.
 */
export class FileRegistry implements DeviceRegistry {
  /** Where the registry lives: its file, or `redis://…#cityhub:doc:devices`. */
  readonly path: string;
  private readonly refreshMs: number;
  private records = new Map<string, DeviceRecord>();
  private stamp = '';
  /** A version that failed to parse: not parsed (nor warned about) again. */
  private badStamp = '';
  private lastCheck = 0;
  /** Secrets that passed a check, by device: a reconnect with the same secret skips the hash. */
  private readonly verified = new Map<string, Verified>();
  private readonly inflight = new Map<string, Promise<boolean>>();
  /** Devices whose secret matched a hash of an older kind: their new hashes, to be written. */
  private readonly rehash = new RehashQueue((batch) => this.writeRehashed(batch), REHASH_DELAY_MS);
  /** The keys secrets are hashed with; none for a registry in Redis without CITYHUB_DEVICE_SECRET_KEY. */
  private keys: SecretKeyring | undefined;
  private readonly unknownKeys = new Set<string>();
  private closed = false;

  /** `dir`: the data directory's registry folder (the file backend's home). */
  private constructor(private readonly doc: SharedDocument, readonly dir: string, private readonly opts: RegistryOptions) {
    this.path = doc.location;
    this.refreshMs = opts.refreshMs ?? (opts.redisUrl ? 0 : 1000);
  }

  /**
   * Opens the registry of `dataDir`, or the one in Redis when `opts.redisUrl` is given. Fails with
   * REGISTRY_CORRUPT when the stored registry is not one, REDIS_UNAVAILABLE when Redis does not answer.
   */
  static async open(dataDir: string, opts: RegistryOptions = {}): Promise<FileRegistry> {
    const doc = await openDeviceDocument('devices', {
      dataDir, redisUrl: opts.redisUrl, logger: opts.logger, refetchMs: opts.refetchMs,
      lock: { timeoutMs: opts.lockTimeoutMs, staleMs: opts.staleLockMs },
    });
    const reg = new FileRegistry(doc, join(dataDir, 'registry'), opts);
    try {
      reg.keys = await loadSecretKeys(dataDir, opts.secretKey, !opts.redisUrl);
      if (!reg.keys) opts.logger?.warn({ path: doc.location }, 'CITYHUB_DEVICE_SECRET_KEY is not set: new device secrets are hashed with scrypt (slow)');
      const { text, stamp } = doc.read();
      reg.apply(text === null ? [] : parseRegistry(text, doc.location), stamp);
    } catch (e) {
      await doc.close();
      throw e;
    }
    reg.lastCheck = Date.now();
    return reg;
  }

  /** The device, or undefined. Sees devices other processes added (see the class comment). Read-only: frozen, not copied. */
  get(id: string): Readonly<DeviceRecord> | undefined {
    this.refresh(!this.records.has(id));
    return this.records.get(id);
  }

  /** Every device, in the order they were added, without re-reading unless the file changed. */
  list(): DeviceRecord[] {
    this.refresh(true);
    return [...this.records.values()].map((r) => ({ ...r }));
  }

  /**
   * True when the device exists, is enabled and `secret` is its secret. A secret verified before for the
   * same stored hash is checked against a SHA-256 digest kept in memory (a reconnect never runs scrypt
   * again); concurrent checks of one secret share one run. With `cachedOnly`, only that digest is checked
   * (for attempts the broker is backing off). A secret that matched a hash of an older kind is re-hashed
   * with the key. Rejects with ScryptBusyError when too many scrypt checks wait.
   */
  async verify(id: string, secret: string, opts: { cachedOnly?: boolean } = {}): Promise<boolean> {
    if (typeof secret !== 'string' || secret.length === 0 || secret.length > 1024) return false;
    let rec = this.get(id);
    if (!rec && !this.closed && !opts.cachedOnly) {
      // A Redis copy may not have heard of a device just added on another node yet: ask before saying no.
      try {
        await this.doc.sync();
      } catch (err) {
        this.opts.logger?.warn({ err, path: this.path }, 'could not fetch the device registry; answering from the last copy');
      }
      rec = this.get(id);
    }
    if (!rec || !rec.enabled) {
      this.verified.delete(id);
      return false;
    }
    const digest = secretDigest(secret);
    const cached = this.verified.get(id);
    if (cached && cached.hash === rec.secret_hash && timingSafeEqual(cached.digest, digest)) return true;
    if (opts.cachedOnly) return false;
    const key = `${id}\n${rec.secret_hash}\n${digest.toString('base64')}`;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = verifySecret(secret, rec.secret_hash, this.keys).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    const ok = await pending;
    // The device may have been disabled or given a new secret while the check ran.
    const now = this.records.get(id);
    if (!ok || !now || !now.enabled || now.secret_hash !== rec.secret_hash) {
      if (!ok) this.noteUnknownKey(rec.secret_hash);
      return false;
    }
    this.verified.set(id, { hash: rec.secret_hash, digest });
    if (this.keys && isOutdated(rec.secret_hash, this.keys)) this.rehash.add(id, { from: rec.secret_hash, to: keyedHash(secret, this.keys.primary), digest });
    return true;
  }

  /** A hash of a new secret: keyed when the registry has a key, else scrypt. */
  private async hashNew(secret: string): Promise<string> {
    return this.keys ? keyedHash(secret, this.keys.primary) : hashSecret(secret, this.opts.hashParams);
  }

  /** Warns, once per key, of keyed hashes made with a key this process does not have (they never match). */
  private noteUnknownKey(stored: string): void {
    const id = keyIdOf(stored);
    if (id === undefined || this.keys?.byId.has(id) || this.unknownKeys.has(id)) return;
    this.unknownKeys.add(id);
    this.opts.logger?.warn({ keyId: id, path: this.path },
      `device secrets hashed with a key this process does not have: give every node the same CITYHUB_DEVICE_SECRET_KEY (or ${SECRET_KEY_FILE})`);
  }

  /** Stores the new hashes of `verify` (see RehashQueue), where nothing changed the secret meanwhile. */
  private async writeRehashed(batch: Array<[string, Rehash]>): Promise<void> {
    if (this.closed) return;
    try {
      await this.mutate((records) => {
        let changed = false;
        for (const [id, r] of batch) {
          const rec = records.get(id);
          if (rec?.secret_hash !== r.from) continue;
          records.set(id, { ...rec, secret_hash: r.to });
          changed = true;
        }
        return { result: undefined, changed };
      });
      for (const [id, r] of batch) if (this.records.get(id)?.secret_hash === r.to) this.verified.set(id, { hash: r.to, digest: r.digest });
    } catch (err) {
      // The old hashes still verify: the next login tries again.
      this.opts.logger?.warn({ err, path: this.path, devices: batch.length }, 'could not store re-hashed device secrets');
    }
  }

  /** Creates a device on an asset of its kind and returns its secret, once. */
  async add(input: AddDeviceInput): Promise<NewDevice> {
    const [created] = await this.addMany([input]);
    return created!;
  }

  /**
   * Creates several devices with one write (the simulator provisions its fleet this way). All or
   * nothing: if any input is invalid or any explicit id is taken, no device is created.
   */
  async addMany(inputs: readonly AddDeviceInput[]): Promise<NewDevice[]> {
    const checked = inputs.map((i) => checkDeviceInput(i, (id) => this.get(id), this.opts.syntheticAssets ?? 0));
    const explicit = new Set<string>();
    for (const c of checked) {
      if (c.id === undefined) continue;
      if (explicit.has(c.id) || this.get(c.id)) throw new DeviceError('DUPLICATE_ID', `a device with id ${c.id} already exists`);
      explicit.add(c.id);
    }
    // scrypt runs before the lock is taken, so other writers never wait for it.
    const prepared = await mapLimit(checked, HASH_CONCURRENCY, async (c) => {
      const secret = generateSecret();
      return { ...c, secret, hash: await this.hashNew(secret) };
    });
    const created = await this.mutate((records) => {
      for (const id of explicit) {
        if (records.has(id)) throw new DeviceError('DUPLICATE_ID', `a device with id ${id} already exists`);
      }
      const out: Array<NewDevice & { hash: string }> = [];
      const createdAt = new Date().toISOString();
      for (const p of prepared) {
        let id = p.id;
        while (id === undefined || (p.id === undefined && records.has(id))) id = generateDeviceId(p.kind);
        const asset = p.asset ?? id;
        const rec: DeviceRecord = { id, kind: p.kind, asset, secret_hash: p.hash, enabled: true, created_at: createdAt };
        if (p.simulated) rec.simulated = true;
        if (p.gateway) rec.gateway = p.gateway;
        records.set(id, rec);
        out.push({ id, secret: p.secret, kind: p.kind, asset, hash: p.hash, ...(p.gateway && { gateway: p.gateway }) });
      }
      return { result: out, changed: out.length > 0 };
    });
    return created.map(({ hash, ...d }) => {
      // The secret is known here: the device's first connect need not pay for scrypt again.
      this.verified.set(d.id, { hash, digest: secretDigest(d.secret) });
      return d;
    });
  }

  /** Gives an existing device a new secret (the old one stops working at once) and returns it, once. */
  async resetSecret(id: string): Promise<NewDevice> {
    const [reset] = await this.resetSecrets([id]);
    return reset!;
  }

  /** Gives several devices new secrets with one write. All or nothing: every id must exist. */
  async resetSecrets(ids: readonly string[]): Promise<NewDevice[]> {
    for (const id of ids) if (!this.get(id)) throw new DeviceError('UNKNOWN_DEVICE', `no device with id ${id}`);
    const prepared = await mapLimit(ids, HASH_CONCURRENCY, async (id) => {
      const secret = generateSecret();
      return { id, secret, hash: await this.hashNew(secret) };
    });
    const reset = await this.mutate((records) => {
      const out: NewDevice[] = [];
      for (const p of prepared) {
        const rec = records.get(p.id);
        if (!rec) throw new DeviceError('UNKNOWN_DEVICE', `no device with id ${p.id}`);
        records.set(p.id, { ...rec, secret_hash: p.hash });
        out.push({ id: p.id, secret: p.secret, kind: rec.kind, asset: rec.asset });
      }
      return { result: out, changed: out.length > 0 };
    });
    for (const p of prepared) this.verified.set(p.id, { hash: p.hash, digest: secretDigest(p.secret) });
    return reset;
  }

  /** Enables or disables a device; a disabled device fails `verify` (and so cannot connect). */
  async setEnabled(id: string, enabled: boolean): Promise<DeviceRecord> {
    return this.mutate((records) => {
      const rec = records.get(id);
      if (!rec) throw new DeviceError('UNKNOWN_DEVICE', `no device with id ${id}`);
      const next = { ...rec, enabled };
      records.set(id, next);
      return { result: { ...next }, changed: rec.enabled !== enabled };
    });
  }

  /** Stops using the registry: later mutations fail with REGISTRY_CLOSED. Waits for running ones, then closes the document. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.rehash.flush();
    this.closed = true;
    await this.doc.close();
    this.verified.clear();
  }

  /** Re-parses the document if its stamp changed; `force` skips the throttle. Keeps the last good state on error. */
  private refresh(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastCheck < this.refreshMs) return;
    this.lastCheck = now;
    let snap: { text: string | null; stamp: string };
    try {
      snap = this.doc.read();
    } catch (err) {
      this.opts.logger?.warn({ err, path: this.path }, 'device registry unreadable; keeping the last good copy');
      return;
    }
    if (snap.stamp === this.stamp || snap.stamp === this.badStamp) return;
    try {
      this.apply(snap.text === null ? [] : parseRegistry(snap.text, this.path), snap.stamp);
    } catch (err) {
      // A broker must keep authenticating known devices even if someone broke the registry by hand.
      this.badStamp = snap.stamp;
      this.opts.logger?.warn({ err, path: this.path }, 'device registry unreadable; keeping the last good copy');
    }
  }

  private apply(records: DeviceRecord[], stamp: string): void {
    // Frozen: `get` hands out the records themselves; every change makes new ones (`mutate`).
    this.records = new Map(records.map((r) => [r.id, Object.freeze(r)]));
    this.stamp = stamp;
    this.badStamp = '';
    for (const [id, v] of this.verified) {
      const r = this.records.get(id);
      if (!r || !r.enabled || r.secret_hash !== v.hash) this.verified.delete(id);
    }
  }

  /**
   * Runs one change as an atomic update of the document: parse the freshest version, apply `fn` to a copy
   * of its records, and write it back if `fn` changed anything. `fn` may throw to abort without writing,
   * and may run more than once (Redis retries when another writer won).
   */
  private async mutate<T>(fn: (records: Map<string, DeviceRecord>) => { result: T; changed: boolean }): Promise<T> {
    if (this.closed) throw new DeviceError('REGISTRY_CLOSED', 'the device registry is closed');
    let written: { text: string; records: DeviceRecord[] } | undefined;
    const result = await this.doc.update((text) => {
      written = undefined;
      const records = new Map((text === null ? [] : parseRegistry(text, this.path)).map((r) => [r.id, r]));
      const out = fn(records);
      if (!out.changed) return { result: out.result };
      const next = serializeRegistry(records.values());
      written = { text: next, records: [...records.values()] };
      return { text: next, result: out.result };
    });
    // What was just written need not be parsed again.
    let snap: { text: string | null; stamp: string } | undefined;
    try {
      snap = this.doc.read();
    } catch {
      snap = undefined;
    }
    if (written && snap && snap.text === written.text) this.apply(written.records, snap.stamp);
    else this.refresh(true);
    return result;
  }
}

/**
 * Opens the device registry of a data directory (`<dataDir>/registry/devices.json`), or the one in the
 * Redis of `opts.redisUrl` (CITYHUB_REDIS_URL), shared by every node.
 */
export function openRegistry(dataDir: string, opts?: RegistryOptions): Promise<FileRegistry> {
  return FileRegistry.open(dataDir, opts);
}

/** The registry's name for what it has become: it is kept in a file or in Redis. */
export { FileRegistry as DeviceRegistryStore };
