import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RULES, RuleSet, silentLogger, type SharedDocument } from '@cityhub/contracts';
import { assetsOfKind } from '@cityhub/contracts/catalogue';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openSharedDocument, type SharedDocName } from '@cityhub/state';
import { isDeviceError } from '../errors.js';
import { TokenStore } from '../tokens/token-store.js';
import { openRegistry, type FileRegistry, type RegistryOptions } from './file-registry.js';
import { sleep, until } from '../../../state/test/poll.js';
import { startRedis, type RedisServer } from '../../../state/test/redis-server.js';

// One body, two backends: several "nodes" on one data directory (the file) or on one Redis, each with a
// data directory of its own (so nothing can pass between them through files).

/** Cheap scrypt: these tests add dozens of devices; each hash keeps its parameters, so verify is real. */
const hashParams = { N: 1024, r: 8, p: 1 };

interface Backend {
  name: 'file' | 'redis';
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** A new, empty world before each test. */
  reset(): Promise<void>;
  /** Where node `i` keeps things. */
  node(i: number): { dataDir: string; redisUrl?: string };
}

const dirs: string[] = [];
const newDir = async () => {
  const d = await mkdtemp(join(tmpdir(), 'cityhub-shared-'));
  dirs.push(d);
  return d;
};

function fileBackend(): Backend {
  let dir = '';
  return {
    name: 'file',
    async setup() {},
    async teardown() {},
    async reset() { dir = await newDir(); },
    node: () => ({ dataDir: dir }),
  };
}

function redisBackend(): Backend {
  let server: RedisServer;
  let admin: Redis;
  let nodeDirs: string[] = [];
  return {
    name: 'redis',
    async setup() {
      server = await startRedis();
      admin = new Redis(server.url);
    },
    async teardown() {
      admin.disconnect();
      await server.stop();
    },
    async reset() {
      await admin.flushall();
      nodeDirs = await Promise.all([0, 1, 2, 3].map(() => newDir()));
    },
    node: (i) => ({ dataDir: nodeDirs[i]!, redisUrl: server.url }),
  };
}

describe.each([fileBackend(), redisBackend()])('shared state on the $name backend', (backend) => {
  const closers: Array<() => Promise<void>> = [];
  const warnings: unknown[][] = [];
  const logger = { ...silentLogger, warn: (...a: unknown[]) => { warnings.push(a); } };

  async function registry(i: number, opts: RegistryOptions = {}): Promise<FileRegistry> {
    const r = await openRegistry(backend.node(i).dataDir, { ...backend.node(i), hashParams, logger, ...opts });
    closers.push(() => r.close());
    return r;
  }
  async function tokens(i: number): Promise<TokenStore> {
    const t = await TokenStore.open(backend.node(i).dataDir, backend.node(i));
    closers.push(() => t.close());
    return t;
  }
  async function doc(name: SharedDocName, i: number): Promise<SharedDocument> {
    const d = await openSharedDocument(name, backend.node(i));
    closers.push(() => d.close());
    return d;
  }

  beforeAll(() => backend.setup());
  afterAll(async () => {
    await backend.teardown();
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });
  beforeEach(async () => {
    warnings.length = 0;
    await backend.reset();
  });
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((c) => c()));
  });

  it('lets a device added on one node connect to another at once', async () => {
    const a = await registry(0);
    const b = await registry(1);
    expect(b.list()).toEqual([]);
    const d = await a.add({ kind: 'traffic', asset: 'link-12' });
    // No waiting: verify of an unknown id looks at the shared document before it says no.
    expect(await b.verify(d.id, d.secret)).toBe(true);
    expect(await b.verify(d.id, d.secret + 'x')).toBe(false);
    expect(b.get(d.id)?.asset).toBe('link-12');
    const e = await b.add({ kind: 'energy', asset: 'building-rotunda' });
    expect(await a.verify(e.id, e.secret)).toBe(true);
    expect(await a.verify('en-nosuchdv', e.secret)).toBe(false);
    // And a node opened later starts from the shared state.
    const c = await registry(2);
    expect(c.list().map((r) => r.id).sort()).toEqual([d.id, e.id].sort());
  });

  it('loses nothing when two nodes add 2 × 25 devices at the same time', async () => {
    const a = await registry(0);
    const b = await registry(1);
    const links = assetsOfKind('traffic');
    const batch = (n: number) => Array.from({ length: 5 }, (_, i) => ({ kind: 'traffic' as const, asset: links[(n * 5 + i) % links.length]!.id }));
    // Five batches of five from each node at once: each node's own changes queue, the two nodes race.
    const results = await Promise.all([0, 1, 2, 3, 4].flatMap((n) => [a.addMany(batch(n)), b.addMany(batch(n + 5))]));
    const created = results.flat();
    expect(created).toHaveLength(50);
    const c = await registry(2);
    const ids = c.list().map((r) => r.id);
    expect(ids).toHaveLength(50);
    expect(new Set(ids)).toEqual(new Set(created.map((d) => d.id)));
    // Every node ends up with all 50, and every secret works on a node that did not create it.
    await until(() => a.list().length === 50 && b.list().length === 50, 3_000);
    const sample = [created[0]!, created[17]!, created[49]!];
    for (const d of sample) expect(await c.verify(d.id, d.secret)).toBe(true);
  });

  it('stops a device disabled on one node from connecting to another within 3 s', async () => {
    const a = await registry(0);
    const b = await registry(1);
    const d = await a.add({ kind: 'wifi', asset: 'hotspot-white-tower' });
    // b verifies once with scrypt and from then on from its cache of verified secrets.
    expect(await b.verify(d.id, d.secret)).toBe(true);
    expect(await b.verify(d.id, d.secret)).toBe(true);
    await a.setEnabled(d.id, false);
    const took = await until(async () => !(await b.verify(d.id, d.secret)), 3_000);
    expect(took).toBeLessThan(3_000);
    expect(b.get(d.id)?.enabled).toBe(false);
    await a.setEnabled(d.id, true);
    await until(() => b.verify(d.id, d.secret), 3_000);
    // A new secret made on one node retires the old one on the other.
    const fresh = await a.resetSecret(d.id);
    await until(async () => !(await b.verify(d.id, d.secret)), 3_000);
    expect(await b.verify(d.id, fresh.secret)).toBe(true);
  });

  it('verifies a token added on one node on another, and forgets it once revoked', async () => {
    const a = await tokens(0);
    const b = await tokens(1);
    const t = await a.add('operator', 'night shift');
    // File: at once. Redis: as soon as the change is announced (verify is synchronous, from memory).
    const took = await until(() => b.verify(t.token) !== null, 1_000);
    expect(b.verify(t.token)).toEqual({ id: t.id, role: 'operator' });
    expect(b.verify(t.token.slice(0, -1) + (t.token.endsWith('A') ? 'B' : 'A'))).toBeNull();
    expect(took).toBeLessThan(1_000);
    expect(b.list().map((x) => x.id)).toEqual([t.id]);
    const t2 = await b.add('admin');
    await until(() => a.verify(t2.token) !== null, 1_000);
    await b.revoke(t.id);
    await until(() => a.verify(t.token) === null, 1_000);
    // The stored document holds hashes, never a token.
    const c = await doc('tokens', 2);
    await c.sync();
    expect(c.read().text).not.toContain(t2.token.slice('chk_01234567_'.length));
  });

  it('finds a token made on another node at once with verifyFresh (MQTT sign-in), and no made-up one', async () => {
    const a = await tokens(0);
    const b = await tokens(1);
    for (let i = 0; i < 10; i++) {
      const t = await a.add('viewer');
      // No waiting for the announcement: an id not known here is looked for in the stored document first.
      expect(await b.verifyFresh(t.token)).toEqual({ id: t.id, role: 'viewer' });
    }
    const made = `chk_0badc0de_${'A'.repeat(43)}`;
    expect(await b.verifyFresh(made)).toBeNull();
    expect(await b.verifyFresh('not a token')).toBeNull();
  });

  it('shows rules saved on one node to another within 1.5 s', async () => {
    const a = await doc('rules', 0);
    const b = await doc('rules', 1);
    expect(b.read().text).toBeNull();
    const set = RuleSet.parse({ rules: DEFAULT_RULES.filter((r) => r.type === 'offline') });
    await a.update(() => ({ text: JSON.stringify(set, null, 2), result: undefined }));
    const took = await until(() => b.read().text !== null, 1_500);
    expect(took).toBeLessThan(1_500);
    expect(RuleSet.parse(JSON.parse(b.read().text!))).toEqual(set);
    // The stamp changes with each version, so a reader re-parses only when it must.
    const stamp = b.read().stamp;
    expect(b.read().stamp).toBe(stamp);
    await a.update(() => ({ text: JSON.stringify({ rules: [] }), result: undefined }));
    await until(() => b.read().stamp !== stamp, 1_500);
  });

  it('keeps the last good copy when the stored registry or tokens become invalid', async () => {
    const a = await registry(0);
    const ta = await tokens(0);
    const d = await a.add({ kind: 'traffic', asset: 'link-4' });
    const t = await ta.add('admin');
    expect(await a.verify(d.id, d.secret)).toBe(true);

    const devices = await doc('devices', 1);
    await devices.update(() => ({ text: '{"version":1,"devices":[{"id":"x"}]}', result: undefined }));
    const tokenDoc = await doc('tokens', 1);
    await tokenDoc.update(() => ({ text: 'not json', result: undefined }));

    // The broken version reaches node 0 (at once from the file, announced through Redis) and is refused.
    await until(() => {
      a.get('tr-unknownx');
      return warnings.length > 0;
    }, 2_000);
    expect(a.get(d.id)?.asset).toBe('link-4');
    expect(await a.verify(d.id, d.secret)).toBe(true);
    await sleep(100);
    expect(ta.verify(t.token)).toEqual({ id: t.id, role: 'admin' });
    // A node cannot start on it, and no change overwrites what it cannot read.
    const opened: unknown = await openRegistry(backend.node(2).dataDir, backend.node(2)).then((r) => r.close(), (e: unknown) => e);
    expect(isDeviceError(opened, 'REGISTRY_CORRUPT')).toBe(true);
    const added: unknown = await a.add({ kind: 'traffic', asset: 'link-5' }).then(() => null, (e: unknown) => e);
    expect(isDeviceError(added, 'REGISTRY_CORRUPT')).toBe(true);
    const revoked: unknown = await ta.revoke(t.id).then(() => null, (e: unknown) => e);
    expect(isDeviceError(revoked, 'REGISTRY_CORRUPT')).toBe(true);
    await devices.sync();
    expect(devices.read().text).toBe('{"version":1,"devices":[{"id":"x"}]}');
  });
});
