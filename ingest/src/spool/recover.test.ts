import { execFileSync } from 'node:child_process';
import { mkdir, open, readdir, readFile, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '@cityhub/contracts';
import { createDuckDbStore, encodeRecord } from '@cityhub/store';
import { Writer } from '../writer.js';
import { Spool, type SpoolEvent } from './spool.js';
import { readAll, tempDirs } from './testing.js';

const { tmp, clean } = tempDirs('cityhub-recover-');
afterEach(clean);

const rec = (i: number) => `record-${String(i).padStart(4, '0')}`.padEnd(40, '.');
/** 60 records of 48 bytes in segments of about 480 bytes (ten records each). */
async function filled(dir: string): Promise<string[]> {
  const s = await Spool.open(dir, { segmentBytes: 480 });
  for (let i = 0; i < 60; i++) await s.append(Buffer.from(rec(i)));
  await s.close();
  return (await readdir(dir)).filter((f) => f.endsWith('.log')).sort();
}
async function flip(path: string, at: number, bit = 0x04): Promise<void> {
  const fh = await open(path, 'r+');
  const b = Buffer.alloc(1);
  await fh.read(b, 0, 1, at);
  b[0]! ^= bit;
  await fh.write(b, 0, 1, at);
  await fh.close();
}
const all = Array.from({ length: 60 }, (_, i) => rec(i));

describe('Spool recovery', () => {
  it('steps over a record that fails its checksum in any segment, and keeps every record after it', async () => {
    const dir = await tmp();
    const segs = await filled(dir);
    expect(segs.length).toBe(6);
    await flip(join(dir, segs[1]!), 48 * 3 + 20); // a payload byte of record 13
    await flip(join(dir, segs[5]!), 48 * 2 + 1); // the length of record 52: found by scanning
    const events: SpoolEvent[] = [];
    const s = await Spool.open(dir, { segmentBytes: 480, onEvent: (e) => events.push(e) });
    expect((await readAll(s)).items).toEqual(all.filter((_, i) => i !== 13 && i !== 52));
    expect(events).toEqual([
      { type: 'corrupt', seg: 6, off: 96, skippedBytes: 48 }, // on open: the last segment
      { type: 'corrupt', seg: 2, off: 144, skippedBytes: 48 }, // as the writer reads it
    ]);
    expect(s.counters.corruptFrames).toBe(2);
    await s.append(Buffer.from('after'));
    expect((await readAll(s)).items.at(-1)).toBe('after');
    await s.close();
  });

  it('counts two corrupt records side by side as two, and a cursor on the second stays where it is', async () => {
    const dir = await tmp();
    const segs = await filled(dir);
    await writeFile(join(dir, 'cursor.json'), JSON.stringify({ seg: 1, off: 48 * 4 }));
    await flip(join(dir, segs[0]!), 48 * 3 + 20);
    await flip(join(dir, segs[0]!), 48 * 4 + 20);
    const events: SpoolEvent[] = [];
    const s = await Spool.open(dir, { segmentBytes: 480, onEvent: (e) => events.push(e) });
    expect(events).toEqual([
      { type: 'corrupt', seg: 1, off: 144, skippedBytes: 48 },
      { type: 'corrupt', seg: 1, off: 192, skippedBytes: 48 },
    ]);
    expect(s.cursor()).toEqual({ seg: 1, off: 192 });
    expect((await readAll(s)).items).toEqual(all.slice(5));
    await s.close();
  });

  it('drops a torn tail in a segment that is not the last, and the records of later segments stay', async () => {
    const dir = await tmp();
    const segs = await filled(dir);
    await truncate(join(dir, segs[2]!), 48 * 4 + 30);
    const events: SpoolEvent[] = [];
    const s = await Spool.open(dir, { segmentBytes: 480, onEvent: (e) => events.push(e) });
    // A segment between the cursor's and the last is checked as it is read.
    expect((await readAll(s)).items).toEqual(all.filter((_, i) => i < 24 || i >= 30));
    expect(events).toEqual([{ type: 'torn-tail', seg: 3, off: 192, droppedBytes: 30 }]);
    expect(s.counters.corruptFrames).toBe(0);
    await s.close();
  });

  it('finds a corrupt record met while running, and a bad last record is cut off on open', async () => {
    const dir = await tmp();
    const segs = await filled(dir);
    const events: SpoolEvent[] = [];
    let s = await Spool.open(dir, { segmentBytes: 480, onEvent: (e) => events.push(e) });
    await flip(join(dir, segs[0]!), 48 * 5 + 30);
    expect((await readAll(s)).items).toEqual(all.filter((_, i) => i !== 5));
    expect(events).toEqual([{ type: 'corrupt', seg: 1, off: 240, skippedBytes: 48 }]);
    await s.close();
    events.length = 0;
    await flip(join(dir, segs[5]!), 48 * 9 + 30); // the very last record
    s = await Spool.open(dir, { segmentBytes: 480, onEvent: (e) => events.push(e) });
    expect(events).toContainEqual({ type: 'corrupt', seg: 6, off: 432, skippedBytes: 48 });
    expect((await readAll(s)).items).toEqual(all.filter((_, i) => i !== 5 && i !== 59));
    await s.close();
  });

  it('repairs a cursor past the data or inside a record: never a negative backlog, nothing skipped', async () => {
    const dir = await tmp();
    await filled(dir);
    const events: SpoolEvent[] = [];
    await writeFile(join(dir, 'cursor.json'), JSON.stringify({ seg: 3, off: 100_000 }));
    let s = await Spool.open(dir, { segmentBytes: 480, onEvent: (e) => events.push(e) });
    expect(s.cursor()).toEqual({ seg: 3, off: 480 });
    expect(events.map((e) => e.type)).toEqual(['cursor-repaired']);
    expect(s.backlogBytes()).toBe(3 * 480);
    await s.close();
    await writeFile(join(dir, 'cursor.json'), JSON.stringify({ seg: 4, off: 50 }));
    s = await Spool.open(dir, { segmentBytes: 480 });
    expect(s.cursor()).toEqual({ seg: 4, off: 48 });
    expect((await readAll(s)).items[0]).toBe(rec(31));
    await s.close();
    await writeFile(join(dir, 'cursor.json'), JSON.stringify({ seg: 99, off: 0 }));
    s = await Spool.open(dir, { segmentBytes: 480 });
    // Each repair was committed (and freed the segments before it): 4 is now the first.
    expect(s.cursor()).toEqual({ seg: 4, off: 0 });
    expect(JSON.parse(await readFile(join(dir, 'cursor.json'), 'utf8'))).toEqual({ seg: 4, off: 0 });
    expect(s.backlogBytes()).toBeGreaterThan(0);
    await s.close();
  });
});

function mountTmpfs(dir: string, size: string): string | null {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (err) {
    return (err as Error).message.split('\n')[0] ?? 'mount failed';
  }
}

describe('Spool on a full disk', () => {
  it('cuts a failed write back to the last durable record, refuses those appends, and appends again once there is room', async (ctx) => {
    const dir = await tmp();
    const why = mountTmpfs(dir, '1m');
    if (why) return ctx.skip(`cannot mount a tmpfs here: ${why}`);
    try {
      const events: SpoolEvent[] = [];
      const s = await Spool.open(join(dir, 'spool'), { onEvent: (e) => events.push(e) });
      await s.append(Buffer.from('before'));
      const filler = join(dir, 'filler');
      await writeFile(filler, Buffer.alloc(1024 * 1024)).catch(() => undefined);
      const size = (await stat(join(dir, 'spool', 'seg-000000000001.log'))).size;
      const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => s.append(Buffer.alloc(20_000, 65 + i))));
      expect(results.some((r) => r.status === 'rejected')).toBe(true);
      expect(events.some((e) => e.type === 'write-failed' && e.rolledBack)).toBe(true);
      const acked = results.filter((r) => r.status === 'fulfilled').length;
      expect((await stat(join(dir, 'spool', 'seg-000000000001.log'))).size).toBe(size + acked * 20_008);
      await unlink(filler);
      await s.append(Buffer.from('after'));
      await s.close();
      const again = await Spool.open(join(dir, 'spool'), { onEvent: (e) => events.push(e) });
      const { items } = await readAll(again);
      expect(items[0]).toBe('before');
      expect(items.at(-1)).toBe('after');
      expect(items).toHaveLength(acked + 2);
      expect(events.filter((e) => e.type === 'torn-tail' || e.type === 'corrupt')).toEqual([]);
      await again.close();
    } finally {
      execFileSync('umount', [dir]);
    }
  });
});

describe('Writer', () => {
  it('says it is stalled while readings wait and the store takes none', async () => {
    const dir = await tmp();
    await mkdir(dir, { recursive: true });
    const spool = await Spool.open(join(dir, 'spool'));
    const store = createDuckDbStore({ path: ':memory:' });
    await store.close();
    const lines: string[] = [];
    const logger = { ...silentLogger, error: (_: object, m?: string) => { lines.push(m ?? ''); } };
    const w = new Writer(spool, store, { logger, stallMs: 300, intervalMs: 20, minBackoffMs: 20, maxBackoffMs: 50 });
    w.start();
    await spool.append(encodeRecord({ points: [{ kind: 'traffic', asset: 'a1', device: 'd1', ts: Date.now(), seq: 1, values: { speed_kmh: 40 } }], dead: [] }));
    await new Promise((r) => setTimeout(r, 600));
    expect(w.stalled()).toBe(true);
    const h = w.health();
    expect(h.writer.ok).toBe(false);
    expect(h.writer.detail).toMatch(/no progress for \d+ s with \d+ bytes waiting: .*closed/);
    expect(h.store.ok).toBe(false);
    expect(lines.some((l) => l.includes('stalled'))).toBe(true);
    await w.stop();
    await spool.close();
  });
});
