import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runStoreSuite } from '../../testing/conformance.js';
import { code, pt, raw, T0 } from '../../testing/kit.js';
import { StoreError } from '../errors.js';
import { createWorkerStore } from './worker-store.js';

const tempDir = () => mkdtemp(join(tmpdir(), 'cityhub-worker-store-'));

// Every method crosses to the thread and back (structured clone), answers and errors: the suite's groups that call
// each one. The groups left out ('series', 'rollups') call the same methods on the same DuckDB code as 'write' and
// 'series in columns' do; the DuckDB store's own test runs them.
runStoreSuite('duckdb on its own thread', async () => {
  const dir = await tempDir();
  return { store: createWorkerStore({ duckdb: { path: join(dir, 'hub.duckdb') } }), cleanup: () => rm(dir, { recursive: true, force: true }) };
}, ['write', 'latest', 'series in columns', 'retention', 'dead letters', 'spool records', 'alert log', 'bad input', 'lifecycle']);

describe('the worker store', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('fails the calls of a thread that stopped with STORE_UNAVAILABLE, starts another and serves the same file again', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const logs: string[] = [];
    const logger = { info: (_o: object, msg?: string) => logs.push(`info ${msg}`), error: (_o: object, msg?: string) => logs.push(`error ${msg}`) };
    const store = createWorkerStore({
      duckdb: { path: join(dir, 'hub.duckdb') }, logger, minRestartMs: 50,
      script: new URL('../../test/dying-thread.mjs', import.meta.url),
    });
    await store.init();
    await store.write([pt('a', 'd1', T0, { flow: 1 })]);

    const dying = store.write([pt('die', 'd1', T0, { flow: 2 })]);
    await expect(dying).rejects.toThrow(/the store's thread stopped \(exit code 7\)/);
    expect(await code(dying)).toBe('STORE_UNAVAILABLE');
    expect(store.health?.().ok).toBe(false);

    const t0 = Date.now();
    while (!store.health?.().ok && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
    expect(store.health?.()).toEqual({ ok: true });
    expect(store.reopens()).toBe(1);
    expect(logs).toEqual(['error the store thread stopped: starting it again', 'info store thread started again: it serves again']);
    // What was written before the crash is there; the new thread takes writes.
    await store.write([pt('a', 'd1', T0 + 1_000, { flow: 3 })]);
    expect(await raw(store, 'a', 'flow', T0, T0 + 60_000)).toEqual([[T0, 1], [T0 + 1_000, 3]]);
    await store.close();
  });

  it('closes while its thread is being started again, at once, and refuses calls after', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const store = createWorkerStore({
      duckdb: { path: join(dir, 'hub.duckdb') }, minRestartMs: 5_000, script: new URL('../../test/dying-thread.mjs', import.meta.url),
    });
    await store.init();
    expect(await code(store.write([pt('die', 'd1', T0, { flow: 2 })]))).toBe('STORE_UNAVAILABLE');
    const t0 = Date.now();
    await store.close();
    // Not the 5 s of the restart's backoff, nor the 5 s a thread is given to end.
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(await code(store.latest('traffic'))).toBe('STORE_UNAVAILABLE');
  });

  it('starts its thread in a process run with V8 options (node --max-old-space-size=… --heap-growing-percent=…)', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const index = new URL('../../dist/index.js', import.meta.url).href;
    const script = `const { createWorkerStore } = await import(${JSON.stringify(index)});
      const store = createWorkerStore({ duckdb: { path: ${JSON.stringify(join(dir, 'hub.duckdb'))} } });
      await store.init();
      await store.write([{ kind: 'traffic', asset: 'a', device: 'd1', ts: ${T0}, seq: 0, values: { flow: 4 } }]);
      console.log(JSON.stringify(await store.latest('traffic')));
      await store.close();`;
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--max-old-space-size=300', '--heap-growing-percent=20', '--input-type=module', '-e', script], (err, stdout, stderr) => {
        if (err) reject(new Error(`${err.message}\n${stderr}`));
        else resolve(stdout);
      });
    });
    expect(JSON.parse(out)).toMatchObject([{ asset: 'a', device: 'd1', ts: T0, values: { flow: 4 } }]);
  });

  it('keeps a StoreError code across the thread, and refuses calls once closed', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const store = createWorkerStore({ duckdb: { path: join(dir, 'hub.duckdb') } });
    await store.init();
    const bad = store.series({ assets: ['a'], metric: 'flow', from: 10, to: 5 });
    await expect(bad).rejects.toBeInstanceOf(StoreError);
    expect(await code(bad)).toBe('STORE_BAD_INPUT');
    await store.close();
    expect(await code(store.latest('traffic'))).toBe('STORE_UNAVAILABLE');
    await store.close();
  });
});
