import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '@cityhub/contracts';
import { createDuckDbStore } from '@cityhub/store';
import { encodeRecord } from './record.js';
import { Spool } from './spool/spool.js';
import { tempDirs } from './spool/testing.js';
import { Writer } from './writer.js';

const { tmp, clean } = tempDirs('cityhub-writer-');
const reading = (i: number) => encodeRecord({ points: [{ kind: 'traffic', asset: 'a1', device: 'd1', ts: Date.now() - 60_000 + i, seq: i, values: { speed_kmh: i } }], dead: [] });

describe('Writer rounds', () => {
  afterEach(clean);

  it('writes a trickle once per interval, not once per reading, and reports the delay to queryable', async () => {
    const spool = await Spool.open(join(await tmp(), 'spool'));
    const store = createDuckDbStore({ path: ':memory:' });
    const delays: Array<number | null> = [];
    await store.init();
    const w = new Writer(spool, store, { logger: silentLogger, intervalMs: 400, onWrite: (_s, _n, d) => delays.push(d) });
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
    await w.stop();
    await store.close();
    await spool.close();
  });

  it('drains a backlog of several rounds without waiting for the interval', async () => {
    const spool = await Spool.open(join(await tmp(), 'spool'));
    const store = createDuckDbStore({ path: ':memory:' });
    for (let i = 0; i < 200; i++) await spool.append(reading(i));
    const w = new Writer(spool, store, { logger: silentLogger, intervalMs: 30_000, readBytes: 1_000 });
    w.start();
    const t0 = Date.now();
    // Rounds follow one another while a round's worth (1,000 bytes) waits; the rest waits for the interval.
    while (spool.backlogBytes() >= 1_000 && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 20));
    expect(spool.backlogBytes()).toBeLessThan(1_000);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(w.stats.batches).toBeGreaterThan(5);
    await w.stop();
    await store.close();
    await spool.close();
  });
});
