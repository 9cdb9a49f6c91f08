import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runStoreSuite } from '../../testing/conformance.js';
import { StoreError } from '../errors.js';
import type { Point } from '../types.js';
import { T0 } from '../../testing/kit.js';
import { DuckDBInstance } from '@duckdb/node-api';
import { createDuckDbStore, instanceSettings } from './duckdb-store.js';
import { IDLE_CHECKPOINT_MS, IDLE_CHECKPOINT_ROWS, WAL_LIMIT } from './database.js';

const tempDir = () => mkdtemp(join(tmpdir(), 'cityhub-duckdb-'));

const suiteStore = (opts: { rollupDelayMs?: number; foldEveryMs?: number } = {}) => async () => {
  const dir = await tempDir();
  return { store: createDuckDbStore({ path: join(dir, 'hub.duckdb'), ...opts }), cleanup: () => rm(dir, { recursive: true, force: true }) };
};

// The suite's points lie around T0 (2024-03-31), long before W, the fold's edge: each is written with its rollups.
runStoreSuite('duckdb', suiteStore());
// The groups whose answers depend on where W stands, again with W elsewhere.
const POINT_GROUPS = ['write', 'latest', 'series', 'series in columns', 'retention', 'rollups'];
// W a month before T0: every point is fresh, appended to raw only, and every rollup read aggregates raw.
runStoreSuite('duckdb, before the first fold', suiteStore({ rollupDelayMs: Date.now() - (T0 - 30 * 86_400_000) }), POINT_GROUPS);
// W at T0 + 3 h, in the middle of the suite's points: reads combine rollup rows and raw, batches are split.
runStoreSuite('duckdb, W in the middle', suiteStore({ rollupDelayMs: Date.now() - (T0 + 3 * 3_600_000), foldEveryMs: 3_600_000 }), POINT_GROUPS);

/** Another process that opens the file with DuckDB itself and holds it until its stdin closes. */
function holdInOtherProcess(file: string): { child: ChildProcessWithoutNullStreams; ready: Promise<string> } {
  const script = `
    const { DuckDBInstance } = require('@duckdb/node-api');
    DuckDBInstance.create(process.env.DB_FILE).then(async (db) => {
      const conn = await db.connect();
      process.stdout.write('ready\\n');
      process.stdin.resume();
      process.stdin.on('end', () => { conn.closeSync(); db.closeSync(); process.exit(0); });
    }, (e) => { process.stdout.write('error: ' + e.message + '\\n'); process.exit(2); });`;
  // The module resolves from the working directory, inside the repository.
  const child = spawn(process.execPath, ['-e', script], {
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    env: { ...process.env, DB_FILE: file },
  });
  const ready = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.on('exit', (code) => reject(new Error(`child exited with ${String(code)}: ${out}`)));
  });
  return { child, ready };
}

const exited = (child: ChildProcessWithoutNullStreams) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.on('exit', (code) => resolve(code));
  });

describe('DuckDB store', () => {
  let dir: string;
  const file = () => join(dir, 'hub.duckdb');
  const point = (ts: number, speed: number): Point => ({ kind: 'traffic', asset: 'L1', device: 'd1', ts, seq: ts, values: { speed_kmh: speed } });
  const T0 = Date.UTC(2024, 4, 1);

  /** The `b`th batch of 5,000 fresh readings of four metrics from 20 devices, as the spool writer gives them. */
  const freshBatch = (now: number, b: number): Point[] => Array.from({ length: 5_000 }, (_, i) => ({
    kind: 'traffic', asset: `L${i % 20}`, device: `d${i % 20}`, ts: now - 60_000 + b * 5_000 + i, seq: b * 5_000 + i,
    values: { speed_kmh: i % 90, flow_veh_h: i, occupancy_pct: 5, travel_time_s: 30 },
  }));

  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports STORE_LOCKED while another process holds the file, and opens once it lets go', async () => {
    const other = holdInOtherProcess(file());
    try {
      expect(await other.ready).toBe('ready');
      const store = createDuckDbStore({ path: file() });
      const err = await store.init().then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).code).toBe('STORE_LOCKED');
      expect((err as StoreError).retryable).toBe(true);
      expect((err as StoreError).message).toContain(`another process (PID ${String(other.child.pid)})`);
      expect((err as StoreError).message).toContain('CITYHUB_DATA_DIR');
      // Any call reports the same while the lock is held.
      expect(await store.latest('traffic').catch((e: StoreError) => e.code)).toBe('STORE_LOCKED');
      other.child.stdin.end();
      expect(await exited(other.child)).toBe(0);
      await store.init();
      await store.write([point(T0, 42)]);
      expect((await store.latest('traffic'))[0]?.values).toEqual({ speed_kmh: 42 });
      await store.close();
    } finally {
      other.child.kill();
    }
  });

  it('holds the file against other processes while it is open', async () => {
    const store = createDuckDbStore({ path: file() });
    await store.init();
    const other = holdInOtherProcess(file());
    expect(await other.ready).toMatch(/^error: .*Could not set lock on file/);
    expect(await exited(other.child)).toBe(2);
    await store.close();
  });

  it('refuses a second store on the same file in this process, which DuckDB would not notice', async () => {
    const first = createDuckDbStore({ path: file() });
    await first.init();
    const second = createDuckDbStore({ path: join(dir, '.', 'hub.duckdb') });
    await expect(second.init()).rejects.toMatchObject({ code: 'STORE_LOCKED' });
    await first.close();
    await second.init();
    await second.close();
  });

  it('keeps points, latest readings and dead letters when the file is reopened', async () => {
    const a = createDuckDbStore({ path: file() });
    await a.write([point(T0, 10), point(T0 + 60_000, 20)]);
    await a.writeDeadLetters([{ received: T0, device: 'd9', topic: 't', reason: 'schema', message: 'first', payload: '{}' }]);
    await a.close();

    const b = createDuckDbStore({ path: file() });
    expect(await b.series({ assets: ['L1'], metric: 'speed_kmh', from: T0, to: T0 + 120_000 })).toEqual([
      { asset: 'L1', points: [[T0, 10], [T0 + 60_000, 20]] },
    ]);
    expect(await b.latest('traffic')).toEqual([{ kind: 'traffic', asset: 'L1', device: 'd1', ts: T0 + 60_000, values: { speed_kmh: 20 } }]);
    // Arrival order carries on across the reopen: of two letters received in the same ms, the later comes first.
    await b.writeDeadLetters([{ received: T0, device: 'd9', topic: 't', reason: 'schema', message: 'second', payload: '{}' }]);
    expect((await b.listDeadLetters({})).map((r) => r.message)).toEqual(['second', 'first']);
    await b.close();
  });

  it('creates its DuckDB with the memory limit given, the log limit, one thread and the allocator purging in the background', async () => {
    const db = await DuckDBInstance.create(':memory:', instanceSettings({ threads: 1, memoryLimitMb: 64 }));
    const conn = await db.connect();
    const setting = async (name: string) => String((await conn.runAndReadAll(`SELECT current_setting('${name}')`)).getRows()[0]![0]);
    expect(await setting('allocator_background_threads')).toBe('true');
    expect(await setting('memory_limit')).toBe('64.0 MiB');
    expect(await setting('threads')).toBe('1');
    expect(await setting('checkpoint_threshold')).toMatch(/^12[0-9](\.[0-9]+)? MiB$/);
    conn.closeSync();
    db.closeSync();
  });

  it('checkpoints once writes pause, not at whichever commit of a flood finds 16 MB of log', async () => {
    const a = createDuckDbStore({ path: file() });
    await a.init();
    const wal = () => (existsSync(`${file()}.wal`) ? statSync(`${file()}.wal`).size : 0);
    const now = Date.now();
    // 100,000 fresh readings of four metrics, 5,000 a write as the spool writer gives them: about 20 MB of log.
    for (let b = 0; b < 20; b++) {
      await a.write(freshBatch(now, b));
    }
    expect(IDLE_CHECKPOINT_ROWS).toBeLessThan(400_000);
    expect(wal()).toBeGreaterThan(16 * 1024 * 1024);
    const t0 = Date.now();
    while (wal() > 0 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
    expect(wal()).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(IDLE_CHECKPOINT_MS - 50);
    const [count] = await a.series({ assets: ['L0'], metric: 'speed_kmh', from: now - 120_000, to: now + 120_000, stepS: 86_400, agg: 'count' });
    expect(count?.points.reduce((n, p) => n + p[1], 0)).toBe(5_000);
    await a.close();
  });

  it('lets the log grow to WAL_LIMIT at most while writes never pause: DuckDB checkpoints there itself', async () => {
    const a = createDuckDbStore({ path: file() });
    await a.init();
    const wal = () => (existsSync(`${file()}.wal`) ? statSync(`${file()}.wal`).size : 0);
    const limit = Number.parseInt(WAL_LIMIT, 10) * 1024 * 1024;
    const now = Date.now();
    // Readings of four metrics back to back, 5,000 a batch (about 1 MB of log each), with no pause for an idle
    // checkpoint, until the log has been seen to shrink from past half the limit: DuckDB's own checkpoint there (a slow
    // machine's pause may also let the store checkpoint on its own lower down; the writing then goes on). 400 batches
    // at most, about 400 MB of log.
    let most = 0;
    let shrunk = false;
    for (let b = 0, last = 0; b < 400 && !shrunk; b++) {
      await a.write(freshBatch(now, b));
      const size = wal();
      if (size < last && last > limit / 2) shrunk = true;
      last = size;
      most = Math.max(most, size);
    }
    // Past DuckDB's default of 16 MB, never past the limit, and checkpointed on the way.
    expect(most).toBeGreaterThan(16 * 1024 * 1024);
    expect(most).toBeLessThan(limit * 1.05);
    expect(shrunk).toBe(true);
    await a.close();
  }, 120_000);

  it('finishes writes given before close(), and keeps them', async () => {
    const a = createDuckDbStore({ path: file() });
    await a.init();
    const batch = Array.from({ length: 5_000 }, (_, i) => point(T0 + i * 1000, i % 50));
    const writing = a.write(batch);
    await a.close();
    await writing;
    await expect(a.write([point(T0, 1)])).rejects.toMatchObject({ code: 'STORE_FAILED' });
    const b = createDuckDbStore({ path: file() });
    const [count] = await b.series({ assets: ['L1'], metric: 'speed_kmh', from: T0, to: T0 + 5_000_000, stepS: 86_400, agg: 'count' });
    expect(count?.points).toEqual([[T0, 5_000]]);
    await b.close();
  });

  it('breaks a tie in latest (two devices, one millisecond) the same way whatever the write order', async () => {
    const store = createDuckDbStore({ path: ':memory:' });
    const at = (device: string, speed: number): Point => ({ ...point(T0, speed), device });
    await store.write([at('d2', 2)]);
    await store.write([at('d1', 1)]);
    await store.write([at('d3', 3), at('d0', 0)]);
    expect(await store.latest('traffic')).toEqual([{ kind: 'traffic', asset: 'L1', device: 'd3', ts: T0, values: { speed_kmh: 3 } }]);
    await store.close();
  });

  it('works in memory, and refuses calls once closed', async () => {
    const store = createDuckDbStore({ path: ':memory:' });
    await store.write([point(T0, 5)]);
    expect(await store.series({ assets: ['L1'], metric: 'speed_kmh', from: T0, to: T0 + 1, stepS: 60, agg: 'mean' })).toEqual([
      { asset: 'L1', points: [[T0, 5]] },
    ]);
    await store.close();
    await expect(store.latest('traffic')).rejects.toMatchObject({ code: 'STORE_FAILED' });
  });

  it('reports a file that is not a database, and a directory that does not exist', async () => {
    const missing = createDuckDbStore({ path: join(dir, 'no', 'such', 'dir', 'hub.duckdb') });
    await expect(missing.init()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await writeFile(file(), 'not a database '.repeat(1000));
    const garbage = createDuckDbStore({ path: file() });
    await expect(garbage.init()).rejects.toMatchObject({ code: 'STORE_FAILED' });
  });
});
