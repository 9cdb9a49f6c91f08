import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '@cityhub/contracts';
import { createDuckDbStore, createWorkerStore, encodeRecord, type Store } from '@cityhub/store';
import { Spool } from './spool/spool.js';
import { tempDirs } from './spool/testing.js';
import { BEHIND_ROUNDS, FAST_BYTES_PER_S, PROMPT_BYTES, RATE_WINDOW_MS, Writer } from './writer.js';

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
    const w = new Writer(spool, store, { logger: silentLogger, intervalMs: 400, onWrite: (_s, _n, d) => delays.push(d), onBehind: () => { behind++; } });
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
    const w = new Writer(spool, store, { logger: silentLogger, intervalMs: 30_000, readBytes: 1_000, onBehind: () => { behind.push(w.stats.batches); } });
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

  it('writes a flood as it comes: PROMPT_BYTES waiting start a round at once, less waits for the interval, or FLOOD_PAUSE_MS after a large round', async () => {
    const spool = await Spool.open(join(await tmp(), 'spool'));
    const store = createDuckDbStore({ path: ':memory:' });
    await store.init();
    const w = new Writer(spool, store, { logger: silentLogger, intervalMs: 60_000 });
    w.start();
    // The first reading after idle is written when it comes; the next round may start only a minute later...
    await spool.append(reading(0));
    expect(await w.drained(5_000)).toBe(true);
    await spool.append(reading(1));
    await new Promise((r) => setTimeout(r, 300));
    expect(w.stats.pointsWritten).toBe(1);
    // ...unless PROMPT_BYTES wait: records of 1,000 readings, appended until that much is spooled.
    const upload = (from: number) => encodeRecord({
      points: Array.from({ length: 1_000 }, (_, i) => ({ kind: 'traffic' as const, asset: 'a1', device: 'd1', ts: Date.now() - 60_000 + from + i, seq: from + i, values: { speed_kmh: i } })),
      dead: [],
    });
    let n = 2;
    for (let from = 10; spool.backlogBytes() < PROMPT_BYTES; from += 1_000) {
      await spool.append(upload(from));
      n += 1_000;
    }
    const t0 = Date.now();
    while (w.stats.pointsWritten < n && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 20));
    expect(w.stats.pointsWritten).toBe(n);
    // After a round that large (a flood), what follows is written after FLOOD_PAUSE_MS, not a minute later.
    // (Polled: drained() would wake the writer.)
    await spool.append(reading(2));
    const t1 = Date.now();
    while (w.stats.pointsWritten < n + 1 && Date.now() - t1 < 5_000) await new Promise((r) => setTimeout(r, 20));
    expect(w.stats.pointsWritten).toBe(n + 1);
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
    const w = new Writer(spool, store, { logger: silentLogger, intervalMs: 30_000, readBytes: 64 * 1024 * 1024, onBehind: () => { behind++; } });
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
    // On the rate alone: its rounds were quick and never left a round's worth (64 MiB) waiting.
    expect(behind).toBe(1);
    for (let i = 6; i < 12; i++) await spool.append(upload(i * 3_000));
    expect(behind).toBe(1);
    await w.stop();
    await store.close();
    await spool.close();
  });

  it('is not behind for slow rounds after which it sleeps, only for slow rounds back to back', async () => {
    const spool = await Spool.open(join(await tmp(), 'spool'));
    const store = createDuckDbStore({ path: ':memory:' });
    await store.init();
    // The real store, each write held back 1.2 s (a round slower than BEHIND_WRITE_MS whatever the machine).
    const slowed = new Proxy(store, {
      get: (t, k) => {
        const v: unknown = Reflect.get(t, k);
        if (k === 'write') return async (...a: Parameters<Store['write']>) => { await new Promise((r) => setTimeout(r, 1_200)); return t.write(...a); };
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    });
    const told: number[] = [];
    // One store write a round (batchPoints), so that every round takes the 1.2 s once.
    const w: Writer = new Writer(spool, slowed, { logger: silentLogger, intervalMs: 200, readBytes: 64 * 1024 * 1024, batchPoints: 1_000_000, onBehind: () => { told.push(w.stats.batches); } });
    w.start();
    // A trickle: slow rounds with a few readings waiting after each, then a sleep (10,000 devices' rounds).
    for (let i = 0; i < 12; i++) {
      await spool.append(reading(i));
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(w.stats.batches).toBeGreaterThanOrEqual(BEHIND_ROUNDS);
    expect(told).toEqual([]);
    // Bursts of over half of PROMPT_BYTES every 0.6 s (about 0.5 MB/s, under FAST_BYTES_PER_S): each 1.2 s round ends
    // with two waiting, so the next starts at once.
    const burst = (from: number) => encodeRecord({
      points: Array.from({ length: 2_000 }, (_, i) => ({ kind: 'traffic' as const, asset: 'a1', device: 'd1', ts: Date.now() - 600_000 + from + i, seq: from + i, values: { speed_kmh: i % 90 } })),
      dead: [],
    });
    const perBurst = Math.ceil((PROMPT_BYTES / 2 + 1) / burst(0).length);
    expect(perBurst * burst(0).length * 2).toBeLessThan(FAST_BYTES_PER_S);
    const before = w.stats.batches;
    for (let b = 0, n = 0; b < 12 && told.length === 0; b++) {
      for (let k = 0; k < perBurst; k++, n += 2_000) await spool.append(burst(100_000 + n));
      await new Promise((r) => setTimeout(r, 600));
    }
    expect(told).toHaveLength(1);
    expect(told[0]).toBeGreaterThanOrEqual(before + BEHIND_ROUNDS);
    await w.stop();
    await store.close();
    await spool.close();
  });

  it('asks again on fresh evidence when onBehind declines, and stops asking once it takes the news', async () => {
    const spool = await Spool.open(join(await tmp(), 'spool'));
    const store = createDuckDbStore({ path: ':memory:' });
    for (let i = 0; i < 400; i++) await spool.append(reading(i));
    // Declines twice (a fleet logging in, say), then takes it; the round count at each ask.
    const asks: number[] = [];
    const w: Writer = new Writer(spool, store, {
      logger: silentLogger, intervalMs: 30_000, readBytes: 1_000,
      onBehind: () => {
        asks.push(w.stats.batches);
        return asks.length >= 3;
      },
    });
    w.start();
    const t0 = Date.now();
    while (spool.backlogBytes() >= 1_000 && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 20));
    expect(spool.backlogBytes()).toBeLessThan(1_000);
    expect(w.stats.batches).toBeGreaterThan(4 * BEHIND_ROUNDS);
    // Asked after BEHIND_ROUNDS rounds behind, and after a decline only after as many more (not at every round);
    // once taken, never again, however many rounds were behind after it.
    expect(asks).toEqual([BEHIND_ROUNDS, 2 * BEHIND_ROUNDS, 3 * BEHIND_ROUNDS]);
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
