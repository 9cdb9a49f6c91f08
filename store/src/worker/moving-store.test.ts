import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runStoreSuite } from '../../testing/conformance.js';
import { pt, raw, T0 } from '../../testing/kit.js';
import { createDuckDbStore } from '../duckdb/duckdb-store.js';
import { reopening } from '../reopen.js';
import { MovingStore, type MovingStoreOptions } from './moving-store.js';
import { createWorkerStore } from './worker-store.js';

const tempDir = () => mkdtemp(join(tmpdir(), 'cityhub-moving-store-'));

/** The hub's default DuckDB store (CITYHUB_DUCKDB_OWN_THREAD=auto) on `path`; `there` opens `therePath` (default the same). */
function moving(path: string, logs: string[] = [], therePath = path): MovingStore {
  const logger = { info: (_o: object, msg?: string) => logs.push(`info ${msg}`), error: (_o: object, msg?: string) => logs.push(`error ${msg}`) };
  const opts: MovingStoreOptions = {
    here: () => reopening(() => createDuckDbStore({ path }), { logger }),
    there: () => createWorkerStore({ duckdb: { path: therePath }, logger, minRestartMs: 50 }),
    logger,
  };
  return new MovingStore(opts);
}

/** Moved as soon as it is open: every later call crosses to the thread. */
class MovedAtInit extends MovingStore {
  override async init(): Promise<void> {
    await super.init();
    expect(await this.moveToOwnThread()).toBe('own');
  }
}

// The same contract before and after the move.
runStoreSuite('duckdb moved to its own thread', async () => {
  const dir = await tempDir();
  const path = join(dir, 'hub.duckdb');
  return {
    store: new MovedAtInit({ here: () => createDuckDbStore({ path }), there: () => createWorkerStore({ duckdb: { path } }) }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}, ['write', 'latest', 'series in columns', 'retention', 'dead letters', 'spool records', 'alert log', 'lifecycle']);

describe('the store that moves to a thread of its own', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });
  const path = async () => {
    const d = await tempDir();
    dirs.push(d);
    return join(d, 'hub.duckdb');
  };

  it('starts on the calling thread and moves once, with what it holds, in the same file', async () => {
    const logs: string[] = [];
    const store = moving(await path(), logs);
    expect(await store.moveToOwnThread()).toBe('main'); // not open yet: nothing to move
    await store.init();
    expect(store.where()).toBe('main');
    await store.write([pt('a', 'd1', T0, { flow: 1 })]);
    expect(await store.moveToOwnThread()).toBe('own');
    expect(store.where()).toBe('own');
    expect(await store.moveToOwnThread()).toBe('own');
    expect(await raw(store, 'a', 'flow', T0, T0 + 60_000)).toEqual([[T0, 1]]);
    await store.write([pt('a', 'd1', T0 + 1_000, { flow: 2 })]);
    expect(await raw(store, 'a', 'flow', T0, T0 + 60_000)).toEqual([[T0, 1], [T0 + 1_000, 2]]);
    expect(logs).toEqual(['info the store moved to a thread of its own: readings came fast or the writer had fallen behind']);
    expect(store.health()).toEqual({ ok: true });
    await store.close();
  });

  it('lets calls under way finish first, and makes calls during the move wait: none fails because of it', async () => {
    const store = moving(await path());
    await store.init();
    const before = Array.from({ length: 20 }, (_, i) => store.write([pt('a', 'd1', T0 + i * 1_000, { flow: i })]));
    const move = store.moveToOwnThread();
    const during = Array.from({ length: 20 }, (_, i) => store.write([pt('b', 'd1', T0 + i * 1_000, { flow: i })]));
    const reads = [store.latest('traffic'), store.series({ assets: ['a'], metric: 'flow', from: T0, to: T0 + 60_000 })];
    const settled = await Promise.allSettled([...before, move, ...during, ...reads]);
    expect(settled.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(await move).toBe('own');
    expect((await raw(store, 'a', 'flow', T0, T0 + 60_000))?.length).toBe(20);
    expect((await raw(store, 'b', 'flow', T0, T0 + 60_000))?.length).toBe(20);
    await store.close();
  });

  it('stays on the calling thread, serving, when the thread cannot open the store, and does not try again', async () => {
    const logs: string[] = [];
    const store = moving(await path(), logs, '/dev/null/cannot/hub.duckdb');
    await store.init();
    await store.write([pt('a', 'd1', T0, { flow: 1 })]);
    expect(await store.moveToOwnThread()).toBe('main');
    expect(store.where()).toBe('main');
    expect(await raw(store, 'a', 'flow', T0, T0 + 60_000)).toEqual([[T0, 1]]);
    await store.write([pt('a', 'd1', T0 + 1_000, { flow: 2 })]);
    expect(await store.moveToOwnThread()).toBe('main');
    expect(logs.filter((l) => l.includes('could not move'))).toHaveLength(1);
    await store.close();
  });

  it('with threadAtOnce, starts the thread at once, moves onto it, and ends it on close when it never moved', async () => {
    const file = await path();
    let started = 0;
    let closed = 0;
    const opts = (): MovingStoreOptions => ({
      here: () => createDuckDbStore({ path: file }),
      there: () => {
        started++;
        const s = createWorkerStore({ duckdb: { path: file } });
        const close = s.close.bind(s);
        s.close = async () => { closed++; await close(); };
        return s;
      },
      threadAtOnce: true,
    });
    const a = new MovingStore(opts());
    expect(started).toBe(1);
    await a.init();
    expect(a.where()).toBe('main');
    await a.write([pt('a', 'd1', T0, { flow: 1 })]);
    expect(await a.moveToOwnThread()).toBe('own');
    expect(started).toBe(1);
    expect(await raw(a, 'a', 'flow', T0, T0 + 60_000)).toEqual([[T0, 1]]);
    await a.close();
    expect(closed).toBe(1);
    // Never moved: the file closed here, the thread ended unopened.
    const b = new MovingStore(opts());
    await b.init();
    expect(await raw(b, 'a', 'flow', T0, T0 + 60_000)).toEqual([[T0, 1]]);
    await b.close();
    expect(closed).toBe(2);
  });

  it('closes after a move under way, on the thread it moved to', async () => {
    const store = moving(await path());
    await store.init();
    const move = store.moveToOwnThread();
    await store.close();
    expect(await move).toBe('own');
    await expect(store.latest('traffic')).rejects.toThrow(/closed/);
  });
});
