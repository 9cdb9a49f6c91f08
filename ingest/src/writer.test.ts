import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '@cityhub/contracts';
import { createDuckDbStore, createWorkerStore, encodeRecord, type Store } from '@cityhub/store';
import { Spool } from './spool/spool.js';
import { tempDirs } from './spool/testing.js';
import { BEHIND_ROUNDS, FAST_BYTES_PER_S, RATE_WINDOW_MS, Writer } from './writer.js';

const { tmp, clean } = tempDirs('cityhub-writer-');
const reading = (i: number) => encodeRecord({ points: [{ kind: 'traffic', asset: 'a1', device: 'd1', ts: Date.now() - 60_000 + i, seq: i, values: { speed_kmh: i } }], dead: [] });

describe('Writer rounds', () => {
  afterEach(clean);

  it('writes a trickle once per interval, not once per reading, and reports the delay to queryable', async () => {
    const spool = await Spool.open(join(await tmp(), 'spool'));
    const store = createDuckDbStore({ path: ':memory:' });
    const delays: Array<number | null> = [];
    await store.init();
    let behind = 0;
    const w = new Writer(spool, store, { logger: silentLogger, intervalMs: 400, onWrite: (_s, _n, d) => delays.push(d), onBehind: () => behind++ });
    w.start();
    const t0 = Date.now();
    for (let i = 0; i < 40; i++) {
      await spool.append(reading(i));
      await new Promise((r) => setTimeout(r, 20));
    }
    const t1 = Date.now();
    while (!w.caughtUp() && Date.now() - t1 < 5_000) await new Promise((r) => setTimeout(r, 20));
    expect(w.caughtUp()).toBe(true);
    expect(w.stats.pointsWritten).toBe(40);
    // One round per 400 ms while the readings came (and the first reading, written when it came), not 40.
    expect(w.stats.transactions).toBeLessThanOrEqual(Math.ceil((Date.now() - t0) / 400) + 1);
    expect(w.stats.transactions).toBeLessThan(20);
    // Acknowledged to queryable: about the interval plus a write (a loaded machine takes longer).
    expect(delays.every((d) => d !== null && d >= 0 && d < 10), JSON.stringify(delays)).toBe(true);
    // A trickle never leaves a round's worth waiting: the writer keeps up, and never says otherwise.
    expect(behind).toBe(0);
    await w.stop();
    await store.close();
    await spool.close();
  });

  it('drains a backlog of several rounds without waiting for the interval, and says once that it had fallen behind', async () => {
    const spool = await Spool.open(join(await tmp(), 'spool'));
    const store = createDuckDbStore({ path: ':memory:' });
    for (let i = 0; i < 200; i++) await spool.append(reading(i));
    const behind: number[] = [];
    const w = new Writer(spool, store, { logger: silentLogger, intervalMs: 30_000, readBytes: 1_000, onBehind: () => behind.push(w.stats.batches) });
    w.start();
    const t0 = Date.now();
    // Rounds follow one another while a round's worth (1,000 bytes) waits; the rest waits for the interval.
    while (spool.backlogBytes() >= 1_000 && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 20));
    expect(spool.backlogBytes()).toBeLessThan(1_000);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(w.stats.batches).toBeGreaterThan(5);
    // Told once, after BEHIND_ROUNDS rounds that each left a round's worth waiting.
    expect(behind).toEqual([BEHIND_ROUNDS]);
    await w.stop();
    await store.close();
    await spool.close();
  });

  it('says it is about to fall behind once readings arrive at FAST_BYTES_PER_S, before any round shows it', async () => {
    const spool = await Spool.open(join(await tmp(), 'spool'));
    const store = createDuckDbStore({ path: ':memory:' });
    await store.init();
    let behind = 0;
    // Rounds that never fall behind: one at the first durable record, the next only 30 s later.
    const w = new Writer(spool, store, { logger: silentLogger, intervalMs: 30_000, readBytes: 64 * 1024 * 1024, onBehind: () => behind++ });
    w.start();
    // Records of 3,000 readings each (a device's upload after an outage): a window's worth in a few writes.
    const upload = (from: number) => encodeRecord({
      points: Array.from({ length: 3_000 }, (_, i) => ({ kind: 'traffic' as const, asset: 'a1', device: 'd1', ts: Date.now() - 600_000 + from + i, seq: from + i, values: { speed_kmh: i } })),
      dead: [],
    });
    const need = (FAST_BYTES_PER_S * RATE_WINDOW_MS) / 1000;
    expect(upload(0).length * 2).toBeLessThan(need);
    for (let i = 0; i < 6; i++) await spool.append(upload(i * 3_000));
    expect(spool.counters.bytes).toBeGreaterThan(need);
    expect(behind).toBe(1);
    // On the rate alone: no more than the first round has run, and it left nothing to say.
    expect(w.stats.batches).toBeLessThanOrEqual(1);
    for (let i = 6; i < 12; i++) await spool.append(upload(i * 3_000));
    expect(behind).toBe(1);
    await w.stop();
    await store.close();
    await spool.close();
  });

  for (const [name, make] of [
    ['on the calling thread', () => createDuckDbStore({ path: ':memory:' })],
    ['on the store\'s own thread', (dir: string) => createWorkerStore({ duckdb: { path: join(dir, 'hub.duckdb') } })],
  ] as Array<[string, (dir: string) => Store]>) {
    it(`skips, counts and logs a record that passed its checksum yet does not decode, and stores the rest (store ${name})`, async () => {
      const dir = await tmp();
      const spool = await Spool.open(join(dir, 'spool'));
      const store = make(dir);
      await store.init();
      await spool.append(reading(1));
      await spool.append(Buffer.from('{"p":[["traffic"'));
      await spool.append(reading(2));
      const errors: Array<{ obj: object; msg: string | undefined }> = [];
      const logger = { ...silentLogger, error: (obj: object, msg?: string) => errors.push({ obj, msg }) };
      const w = new Writer(spool, store, { logger, intervalMs: 50 });
      w.start();
      expect(await w.drained()).toBe(true);
      expect(w.stats).toMatchObject({ pointsWritten: 2, badRecords: 1, transactions: 1 });
      expect(errors.map((e) => e.msg)).toEqual(['spool record does not decode: skipped']);
      expect(errors[0]!.obj).toMatchObject({ bytes: 16 });
      expect(String((errors[0]!.obj as { err?: unknown }).err)).toMatch(/JSON/);
      expect((await store.series({ assets: ['a1'], metric: 'speed_kmh', from: 0, to: Date.now() }))[0]?.points.map((p) => p[1])).toEqual([1, 2]);
      await w.stop();
      await store.close();
      await spool.close();
    });
  }
});
