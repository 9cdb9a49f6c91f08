import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_READINGS_PER_MESSAGE, silentLogger, type DeviceRecord } from '@cityhub/contracts';
import { createDuckDbStore, DEAD_LETTER_PAYLOAD_BYTES, type Store } from '@cityhub/store';
import { DeadLetterBudget } from './dead-letter-budget.js';
import { Ingest } from './ingest.js';

const quiet = silentLogger;
const device: DeviceRecord = { id: 'tr-0001', kind: 'traffic', asset: 'link-7', secret_hash: 'x', enabled: true, created_at: '' };
const registry = { get: (id: string) => (id === device.id ? device : undefined) };
const topic = 'city/traffic/tr-0001/telemetry';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('Ingest: every payload gets an answer, dead letters bounded (real DuckDB)', () => {
  let dir: string;
  let store: Store;
  let clock: number;
  const open = (over: Partial<Parameters<typeof Ingest.open>[0]> = {}) =>
    Ingest.open({ store, registry, dataDir: dir, logger: quiet, now: () => clock, writer: { intervalMs: 5 }, ...over });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cityhub-poison-'));
    store = createDuckDbStore({ path: join(dir, 'db.duckdb') });
    await store.init();
    clock = Date.now();
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('dead-letters poison payloads with their reason and their text as sent, never throwing', async () => {
    const ingest = await open();
    ingest.start();
    const many = JSON.stringify(Array.from({ length: MAX_READINGS_PER_MESSAGE + 1 }, (_, i) => ({ ts: clock, seq: i, speed_kmh: 1 })));
    const cases: Array<[string, string]> = [
      ['too_deep', '['.repeat(5_000) + ']'.repeat(5_000)],
      ['too_deep', `{"ts":${clock},"seq":1,"speed_kmh":${'['.repeat(100_000)}${']'.repeat(100_000)}}`],
      ['ts_out_of_range', JSON.stringify({ ts: 2 ** 53 - 1, seq: 1, speed_kmh: 3 })],
      ['ts_out_of_range', JSON.stringify({ ts: 9e15, seq: 1, speed_kmh: 3 })],
      ['schema', `{"ts":${clock},"seq":1,"speed_kmh":1e309}`],
      ['schema', `[{"ts":${clock},"seq":1,"speed_kmh":1},{"ts":${clock},"seq":2,"speed_kmh":-1e309}]`],
      ['too_many_readings', many],
    ];
    for (const [reason, text] of cases) {
      const r = await ingest.accept(device.id, topic, Buffer.from(text));
      expect(r.rejected.map((x) => x.reason), reason).toEqual([reason]);
    }
    expect(await ingest.writer.drained(10_000)).toBe(true);
    const letters = (await store.listDeadLetters({ limit: 100 })).reverse();
    expect(letters.map((l) => l.reason)).toEqual(cases.map(([reason]) => reason));
    letters.forEach((l, i) => {
      const text = cases[i]![1];
      expect(l.size).toBe(Buffer.byteLength(text));
      expect(l.sha256).toBe(sha(text));
      expect(l.payload).toBe(text.slice(0, DEAD_LETTER_PAYLOAD_BYTES));
    });
    expect(letters[4]!.payload).toContain('1e309');
    expect(letters[5]!.payload).toContain('-1e309');
    await ingest.close();
  });

  it('over its budget a device\'s letters are counted, not stored, and it is still answered', async () => {
    const ingest = await open({ deadLetterBytesPerMinute: 100_000 });
    ingest.start();
    const junk = 'x'.repeat(1_000_000);
    let unstored = 0;
    for (let i = 0; i < 30; i++) unstored += (await ingest.accept(device.id, topic, Buffer.from(junk))).unstored;
    // Each letter costs its 8 KiB of payload and its message: 11 fit in 100,000 bytes.
    expect(await ingest.writer.drained(10_000)).toBe(true);
    const stored = await store.listDeadLetters({ limit: 1_000 });
    expect(stored.length).toBeGreaterThan(5);
    expect(stored.length).toBeLessThan(13);
    expect(unstored).toBe(30 - stored.length);
    expect(ingest.deadLetterBudget.overBudget).toBe(unstored);
    expect(ingest.stats.peek(device.id)!.rejected.malformed_json).toBe(30);
    // A minute later the budget is back.
    clock += 60_000;
    expect((await ingest.accept(device.id, topic, Buffer.from(junk))).unstored).toBe(0);
    await ingest.close();
  });

  it('replay judges ts_future against the time a reading was received, and never replays a cut payload', async () => {
    const ingest = await open();
    ingest.start();
    await ingest.accept(device.id, topic, Buffer.from(JSON.stringify({ ts: clock + 3_600_000, seq: 1, speed_kmh: 3 })));
    await ingest.accept(device.id, topic, Buffer.from(`{"ts":${clock},"seq":2,"speed_kmh":"${'y'.repeat(20_000)}"}`));
    expect(await ingest.writer.drained(10_000)).toBe(true);
    clock += 7_200_000;
    const letters = await store.listDeadLetters({});
    const r = await ingest.replay(letters);
    expect(r.replayed).toEqual([]);
    expect(r.stillRejected.map((x) => x.reason)).toEqual(['ts_future']);
    expect(r.notReplayable).toHaveLength(1);
    await ingest.close();
  });
});

describe('DeadLetterBudget', () => {
  it('gives each device its bytes per minute and clears old windows', () => {
    const b = new DeadLetterBudget(1_000);
    expect(b.take('a', 600, 0)).toBe(true);
    expect(b.take('a', 600, 1)).toBe(false);
    expect(b.take('b', 600, 2)).toBe(true);
    expect(b.take(null, 1_000, 3)).toBe(true);
    expect([b.overBudget, b.overBudgetBytes]).toEqual([1, 600]);
    expect(b.take('a', 600, 60_000)).toBe(true);
  });
});
