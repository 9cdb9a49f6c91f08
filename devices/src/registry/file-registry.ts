import { timingSafeEqual } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Kind, type DeviceRecord, type DeviceRegistry, type NewDevice } from '@cityhub/contracts';
import { findAsset, SYNTHETIC_PREFIX } from '@cityhub/contracts/catalogue';
import { DeviceError } from '../errors.js';
import { writeFileAtomic } from '../files/atomic-write.js';
import { withFileLock } from '../files/file-lock.js';
import { mapLimit } from '../util/map-limit.js';
import { generateDeviceId, isValidDeviceId } from './ids.js';
import { readRegistrySync, serializeRegistry, statStamp } from './registry-file.js';
import { generateSecret, hashSecret, secretDigest, verifySecret, type ScryptParams } from './secret.js';

/** What `add` accepts: the kind, the catalogue asset the device is installed on, an optional explicit id. */
export interface AddDeviceInput { kind: Kind; asset: string; id?: string; simulated?: boolean }

/** Options of {@link openRegistry}. */
export interface RegistryOptions {
  /** Where problems that are not the caller's (an unreadable registry file seen by `get`) are reported. */
  logger?: { warn(...a: unknown[]): void };
  /** How often `get` of a known id checks the file for changes by other processes (ms). Default 1000. */
  refreshMs?: number;
  /** How long a mutation waits for the registry lock (ms). Default 15000. */
  lockTimeoutMs?: number;
  /** Age after which a lock whose process is gone is taken over (ms). Default 10000. */
  staleLockMs?: number;
  /**
   * Synthetic catalogue assets devices may be installed on (`syn-…` ids, see `loadCatalogue` in
   * contracts; default 0). The hub's CITYHUB_SYNTHETIC_ASSETS.
   */
  syntheticAssets?: number;
  /**
   * scrypt cost of the hashes this registry makes (default SCRYPT_PARAMS). Only load tests lower it, to
   * provision and authenticate thousands of devices quickly; each hash keeps its own parameters, so every
   * process verifies it whatever its own setting.
   */
  hashParams?: ScryptParams;
}

/** Parallel scrypt hashes: libuv runs four at once by default, more would only queue. */
const HASH_CONCURRENCY = 4;

interface Verified { hash: string; digest: Buffer }

/**
 * The device registry kept as a JSON file, `<dataDir>/registry/devices.json`, so that the CLI can add a
 * device while the hub runs (DuckDB admits one writer process; a JSON file under a lock admits many).
 *
 * Reads are served from memory. An unknown id costs one `stat` to see whether another process changed
 * the file, so a device added by `cityhub devices add` can connect at once; a known id re-checks at most
 * every `refreshMs`, so that disabling a device elsewhere takes effect within a second. Every mutation
 * takes the lock file, re-reads the file, changes it and replaces it atomically: concurrent writers in
 * several processes lose nothing.
 */
export class FileRegistry implements DeviceRegistry {
  /** The registry file. */
  readonly path: string;
  private readonly lockPath: string;
  private records = new Map<string, DeviceRecord>();
  private stamp = '';
  private lastCheck = 0;
  /** Secrets that passed scrypt, by device: a reconnect with the same secret skips scrypt. */
  private readonly verified = new Map<string, Verified>();
  private readonly inflight = new Map<string, Promise<boolean>>();
  /** In-process serialisation of mutations, in front of the cross-process lock file. */
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(readonly dir: string, private readonly opts: RegistryOptions) {
    this.path = join(dir, 'devices.json');
    this.lockPath = join(dir, 'devices.json.lock');
  }

  /** Opens (creating its folder if needed) the registry of `dataDir`. */
  static async open(dataDir: string, opts: RegistryOptions = {}): Promise<FileRegistry> {
    const dir = join(dataDir, 'registry');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const reg = new FileRegistry(dir, opts);
    const { records, stamp } = readRegistrySync(reg.path);
    reg.apply(records, stamp);
    reg.lastCheck = Date.now();
    return reg;
  }

  /** The device, or undefined. Sees devices other processes added (see the class comment). */
  get(id: string): DeviceRecord | undefined {
    this.refresh(!this.records.has(id));
    const r = this.records.get(id);
    return r ? { ...r } : undefined;
  }

  /** Every device, in the order they were added, without re-reading unless the file changed. */
  list(): DeviceRecord[] {
    this.refresh(true);
    return [...this.records.values()].map((r) => ({ ...r }));
  }

  /**
   * True when the device exists, is enabled and `secret` is its secret. A secret verified before for the
   * same stored hash is checked against a SHA-256 digest kept in memory instead of running scrypt again;
   * concurrent checks of one secret share one scrypt run.
   */
  async verify(id: string, secret: string): Promise<boolean> {
    if (typeof secret !== 'string' || secret.length === 0 || secret.length > 1024) return false;
    const rec = this.get(id);
    if (!rec || !rec.enabled) {
      this.verified.delete(id);
      return false;
    }
    const digest = secretDigest(secret);
    const cached = this.verified.get(id);
    if (cached && cached.hash === rec.secret_hash && timingSafeEqual(cached.digest, digest)) return true;
    const key = `${id}\n${rec.secret_hash}\n${digest.toString('base64')}`;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = verifySecret(secret, rec.secret_hash).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    const ok = await pending;
    // The device may have been disabled or given a new secret while scrypt ran.
    const now = this.records.get(id);
    if (!ok || !now || !now.enabled || now.secret_hash !== rec.secret_hash) return false;
    this.verified.set(id, { hash: rec.secret_hash, digest });
    return true;
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
    const checked = inputs.map((i) => this.checkInput(i));
    const explicit = new Set<string>();
    for (const c of checked) {
      if (c.id === undefined) continue;
      if (explicit.has(c.id) || this.get(c.id)) throw new DeviceError('DUPLICATE_ID', `a device with id ${c.id} already exists`);
      explicit.add(c.id);
    }
    // scrypt runs before the lock is taken, so other writers never wait for it.
    const prepared = await mapLimit(checked, HASH_CONCURRENCY, async (c) => {
      const secret = generateSecret();
      return { ...c, secret, hash: await hashSecret(secret, this.opts.hashParams) };
    });
    return this.mutate((records) => {
      for (const id of explicit) {
        if (records.has(id)) throw new DeviceError('DUPLICATE_ID', `a device with id ${id} already exists`);
      }
      const created: NewDevice[] = [];
      const createdAt = new Date().toISOString();
      for (const p of prepared) {
        let id = p.id;
        while (id === undefined || (p.id === undefined && records.has(id))) id = generateDeviceId(p.kind);
        const rec: DeviceRecord = { id, kind: p.kind, asset: p.asset, secret_hash: p.hash, enabled: true, created_at: createdAt };
        if (p.simulated) rec.simulated = true;
        records.set(id, rec);
        created.push({ id, secret: p.secret, kind: p.kind, asset: p.asset });
        // The secret is known here: the device's first connect need not pay for scrypt again.
        this.verified.set(id, { hash: p.hash, digest: secretDigest(p.secret) });
      }
      return { result: created, changed: created.length > 0 };
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
      return { id, secret, hash: await hashSecret(secret, this.opts.hashParams) };
    });
    return this.mutate((records) => {
      const reset: NewDevice[] = [];
      for (const p of prepared) {
        const rec = records.get(p.id);
        if (!rec) throw new DeviceError('UNKNOWN_DEVICE', `no device with id ${p.id}`);
        records.set(p.id, { ...rec, secret_hash: p.hash });
        reset.push({ id: p.id, secret: p.secret, kind: rec.kind, asset: rec.asset });
        this.verified.set(p.id, { hash: p.hash, digest: secretDigest(p.secret) });
      }
      return { result: reset, changed: reset.length > 0 };
    });
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

  /** Stops using the registry: later mutations fail with REGISTRY_CLOSED. Waits for running ones. */
  async close(): Promise<void> {
    this.closed = true;
    await this.chain.catch(() => undefined);
    this.verified.clear();
  }

  private checkInput(input: AddDeviceInput): AddDeviceInput {
    const kind = Kind.safeParse(input.kind);
    if (!kind.success) throw new DeviceError('BAD_KIND', `unknown kind "${String(input.kind)}": use one of ${Kind.options.join(', ')}`);
    if (input.id !== undefined && !isValidDeviceId(input.id)) {
      throw new DeviceError('BAD_ID', `bad device id "${input.id}": 3 to 64 lower-case letters, digits and dashes, starting with a letter or digit`);
    }
    const asset = findAsset(input.asset, { synthetic: this.opts.syntheticAssets ?? 0 });
    if (!asset) {
      const hint = input.asset.startsWith(SYNTHETIC_PREFIX)
        ? ` (it holds ${this.opts.syntheticAssets ?? 0} synthetic assets: CITYHUB_SYNTHETIC_ASSETS sets how many)`
        : '';
      throw new DeviceError('UNKNOWN_ASSET', `no asset "${input.asset}" in the catalogue${hint}`);
    }
    if (asset.properties.kind !== kind.data) {
      throw new DeviceError('WRONG_KIND', `asset ${input.asset} is a ${asset.properties.kind} asset, not ${kind.data}`);
    }
    return { kind: kind.data, asset: input.asset, id: input.id, simulated: input.simulated };
  }

  /** Re-reads the file if its stamp changed; `force` skips the throttle. Keeps the last good state on error. */
  private refresh(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastCheck < (this.opts.refreshMs ?? 1000)) return;
    this.lastCheck = now;
    if (statStamp(this.path) === this.stamp) return;
    try {
      const { records, stamp } = readRegistrySync(this.path);
      this.apply(records, stamp);
    } catch (e) {
      // A broker must keep authenticating known devices even if someone broke the file by hand.
      this.opts.logger?.warn({ err: e, path: this.path }, 'device registry unreadable; keeping the last good copy');
    }
  }

  private apply(records: DeviceRecord[], stamp: string): void {
    this.records = new Map(records.map((r) => [r.id, r]));
    this.stamp = stamp;
    for (const [id, v] of this.verified) {
      const r = this.records.get(id);
      if (!r || !r.enabled || r.secret_hash !== v.hash) this.verified.delete(id);
    }
  }

  /**
   * Runs one change: under the lock, re-read the file, apply `fn` to a copy of its records, and write it
   * back atomically if `fn` changed anything. `fn` may throw to abort without writing.
   */
  private mutate<T>(fn: (records: Map<string, DeviceRecord>) => { result: T; changed: boolean }): Promise<T> {
    if (this.closed) return Promise.reject(new DeviceError('REGISTRY_CLOSED', 'the device registry is closed'));
    const run = async (): Promise<T> =>
      withFileLock(this.lockPath, async () => {
        const fresh = readRegistrySync(this.path);
        const records = new Map(fresh.records.map((r) => [r.id, r]));
        const { result, changed } = fn(records);
        if (changed) {
          await writeFileAtomic(this.path, serializeRegistry(records.values()));
          this.apply([...records.values()], statStamp(this.path));
        } else {
          this.apply(fresh.records, fresh.stamp);
        }
        return result;
      }, { timeoutMs: this.opts.lockTimeoutMs, staleMs: this.opts.staleLockMs });
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }
}

/** Opens the device registry of a data directory (`<dataDir>/registry/devices.json`). */
export function openRegistry(dataDir: string, opts?: RegistryOptions): Promise<FileRegistry> {
  return FileRegistry.open(dataDir, opts);
}
