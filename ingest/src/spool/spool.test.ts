import { spawn } from 'node:child_process';
import { appendFile, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Spool, type SpoolEvent } from './spool.js';
import { readAll, tempDirs } from './testing.js';

const { tmp, clean } = tempDirs('cityhub-spool-');
afterEach(clean);

describe('Spool', () => {
  it('shares one fsync among appends that arrive together, and reads them back in order', async () => {
    const s = await Spool.open(await tmp());
    await Promise.all(Array.from({ length: 1_000 }, (_, i) => s.append(Buffer.from(`r${i}`))));
    expect(s.counters.appends).toBe(1_000);
    expect(s.counters.fsyncs).toBeLessThan(100);
    const { items } = await readAll(s);
    expect(items).toEqual(Array.from({ length: 1_000 }, (_, i) => `r${i}`));
    await s.close();
  });

  it('lets lone records wait commitDelayMs for company: one write for several, written at once by a record that may not wait', async () => {
    const settled = (p: Promise<void>) => Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 100))]);
    const s = await Spool.open(await tmp(), { commitDelayMs: 60_000 });
    const lone = [s.append(Buffer.from('a'), { linger: true }), s.append(Buffer.from('b'), { linger: true })];
    expect(await settled(lone[0]!)).toBe(false);
    expect(s.counters.fsyncs).toBe(0);
    await s.append(Buffer.from('c'));
    await Promise.all(lone);
    expect(s.counters.fsyncs).toBe(1);
    expect((await readAll(s)).items).toEqual(['a', 'b', 'c']);
    // The delay alone writes them too; close writes what waits without waiting.
    const t = await Spool.open(await tmp(), { commitDelayMs: 50 });
    await Promise.all([t.append(Buffer.from('d'), { linger: true }), t.append(Buffer.from('e'), { linger: true })]);
    expect(t.counters.fsyncs).toBe(1);
    const last = t.append(Buffer.from('f'), { linger: true });
    await t.close();
    await last;
    expect(t.counters.fsyncs).toBe(2);
    // Without a delay, `linger` changes nothing.
    const u = await Spool.open(await tmp());
    expect(await settled(u.append(Buffer.from('g'), { linger: true }))).toBe(true);
    await Promise.all([s.close(), u.close()]);
  });

  it('with nap, keeps a lone record by sleeping once the loop\'s turn is done, then writes in the next turn what came meanwhile', async () => {
    const naps: number[] = [];
    let refuse = false;
    // A short real sleep stands for the delay, so that the timer below is due when it ends.
    const sleep = (ms: number) => {
      if (refuse) return false;
      naps.push(ms);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      return true;
    };
    const s = await Spool.open(await tmp(), { commitDelayMs: 60_000, nap: sleep });
    const first = s.append(Buffer.from('a'), { linger: true });
    expect(naps).toEqual([]);
    // What the next turn's timers bring (as its poll brings what sockets received during the sleep) joins the write.
    let second: Promise<void> | undefined;
    setTimeout(() => { second = s.append(Buffer.from('b'), { linger: true }); }, 0);
    await first;
    await second;
    expect(naps).toEqual([60_000]);
    expect(s.counters).toMatchObject({ naps: 1, fsyncs: 1, appends: 2 });
    // Refused, the record waits on the timer (here a minute) until a record that may not wait writes it.
    refuse = true;
    const third = s.append(Buffer.from('c'), { linger: true });
    await new Promise((r) => setTimeout(r, 50));
    expect(s.counters.fsyncs).toBe(1);
    await s.append(Buffer.from('d'));
    await third;
    expect(s.counters).toMatchObject({ naps: 1, fsyncs: 2 });
    expect((await readAll(s)).items).toEqual(['a', 'b', 'c', 'd']);
    await s.close();
  });

  it('keeps records and the committed cursor across reopen, and frees consumed segments', async () => {
    const dir = await tmp();
    let s = await Spool.open(dir, { segmentBytes: 1_000 });
    for (let i = 0; i < 100; i++) await s.append(Buffer.from(`record-${i}`.padEnd(50, '.')));
    const first = await s.read(s.cursor(), 500);
    const mid = first[first.length - 1]!.next;
    await s.commit(mid);
    await s.close();
    s = await Spool.open(dir, { segmentBytes: 1_000 });
    expect(s.cursor()).toEqual(mid);
    const { items, end } = await readAll(s);
    expect(items).toHaveLength(100 - first.length);
    expect(items[0]).toMatch(new RegExp(`^record-${first.length}\\.`));
    const before = (await readdir(dir)).filter((f) => f.endsWith('.log')).length;
    await s.commit(end);
    const after = (await readdir(dir)).filter((f) => f.endsWith('.log')).length;
    expect(before).toBeGreaterThan(3);
    expect(after).toBe(1);
    expect(s.backlogBytes()).toBe(0);
    await s.close();
  });

  it('writes the cursor at most every cursorSyncMs, always before it frees a segment and on close', async () => {
    const dir = await tmp();
    const onDisk = async () => JSON.parse(await readFile(join(dir, 'cursor.json'), 'utf8')) as unknown;
    const logs = async () => (await readdir(dir)).filter((f) => f.endsWith('.log')).sort();
    const s = await Spool.open(dir, { segmentBytes: 1_000, cursorSyncMs: 60_000 });
    for (let i = 0; i < 40; i++) await s.append(Buffer.from(`record-${i}`.padEnd(50, '.')));
    const recs: Array<{ next: { seg: number; off: number } }> = [];
    for (let got = await s.read(s.cursor()); got.length; got = await s.read(got.at(-1)!.next)) recs.push(...got);
    const a = recs[2]!.next, b = recs[5]!.next;
    const c = recs.find((r) => r.next.seg === 2 && r.next.off > 0)!.next, d = recs.find((r) => r.next.seg === 2 && r.next.off > c.off)!.next;
    expect([a.seg, b.seg]).toEqual([1, 1]);
    await s.commit(a);
    await s.commit(b);
    expect(s.cursor()).toEqual(b);
    expect(await onDisk()).toEqual(a);
    // A crash now replays from the cursor on disk: records stored since come again, none is lost.
    const replay = await Spool.open(dir, { segmentBytes: 1_000 });
    expect(replay.cursor()).toEqual(a);
    expect((await readAll(replay)).items).toHaveLength(40 - 3);
    await replay.close();
    // Moving into the next segment writes the cursor first, then frees the consumed one.
    const before = await logs();
    await s.commit(c);
    expect(await onDisk()).toEqual(c);
    expect(await logs()).toEqual(before.slice(1));
    await s.commit(d);
    expect(await onDisk()).toEqual(c);
    await s.close();
    expect(await onDisk()).toEqual(d);
  });

  it('drops a torn tail left by a crash and goes on appending after it', async () => {
    const dir = await tmp();
    let s = await Spool.open(dir);
    await s.append(Buffer.from('a'));
    await s.append(Buffer.from('b'));
    await s.close();
    const seg = (await readdir(dir)).find((f) => f.endsWith('.log'))!;
    await appendFile(join(dir, seg), Buffer.from([50, 0, 0, 0, 1, 2, 3, 4, 65, 66]));
    const events: SpoolEvent[] = [];
    s = await Spool.open(dir, { onEvent: (e) => events.push(e) });
    expect(events).toEqual([{ type: 'torn-tail', seg: 1, off: 18, droppedBytes: 10 }]);
    await s.append(Buffer.from('c'));
    expect((await readAll(s)).items).toEqual(['a', 'b', 'c']);
    await s.close();
  });

  it('holds appends at its cap until the consumer commits, and says so', async () => {
    const events: string[] = [];
    const s = await Spool.open(await tmp(), { capBytes: 100, onEvent: (e) => events.push(e.type) });
    await s.append(Buffer.alloc(60));
    let done = false;
    const held = s.append(Buffer.alloc(60)).then(() => { done = true; });
    await new Promise((r) => setTimeout(r, 50));
    expect(done).toBe(false);
    expect(s.isFull()).toBe(true);
    const recs = await s.read(s.cursor());
    await s.commit(recs[0]!.next);
    await held;
    expect(done).toBe(true);
    expect(events).toEqual(['full', 'drained']);
    await s.close();
  });

  it('loses no acknowledged record when its process is killed with SIGKILL', async () => {
    const dir = await tmp();
    const child = fileURLToPath(new URL('../../test/fixtures/spool-child.ts', import.meta.url));
    // `node --import tsx` keeps the writer in this one process: the tsx CLI would fork a grandchild that
    // SIGKILL does not reach.
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    let next = 0;
    const acked = new Set<number>();
    for (let round = 0; round < 3; round++) {
      const p = spawn(process.execPath, ['--import', 'tsx', child, dir, String(next)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
      let buf = '';
      p.stdout.on('data', (b: Buffer) => {
        buf += b.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) acked.add(Number(l));
      });
      const target = acked.size + 2_000 + Math.floor(Math.random() * 3_000);
      while (acked.size < target) await new Promise((r) => setTimeout(r, 5));
      p.kill('SIGKILL');
      await new Promise((r) => p.once('exit', r));
      next = Math.max(...acked) + 1_000_000;
    }
    const s = await Spool.open(dir, { segmentBytes: 256 * 1024 });
    const { items } = await readAll(s);
    const stored = new Set(items.map((t) => (JSON.parse(t) as { i: number }).i));
    const lost = [...acked].filter((i) => !stored.has(i));
    expect(lost).toEqual([]);
    expect(acked.size).toBeGreaterThan(6_000);
    await s.close();
  }, 60_000);
});
