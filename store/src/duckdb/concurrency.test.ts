import { describe, expect, it } from 'vitest';
import { Pool, SerialQueue } from './concurrency.js';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SerialQueue', () => {
  it('runs tasks one at a time in the order given, and a failure does not stop the next', async () => {
    const q = new SerialQueue();
    const log: string[] = [];
    const task = (name: string, ms: number, fail = false) => async () => {
      log.push(`${name}+`);
      await tick(ms);
      log.push(`${name}-`);
      if (fail) throw new Error(name);
      return name;
    };
    const results = await Promise.allSettled([q.run(task('a', 20)), q.run(task('b', 1, true)), q.run(task('c', 5))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(log).toEqual(['a+', 'a-', 'b+', 'b-', 'c+', 'c-']);
    await q.idle();
  });
});

describe('Pool', () => {
  it('lends each item to one task at a time, queues the rest, and drains', async () => {
    const pool = new Pool(['x', 'y']);
    const busy = new Set<string>();
    let most = 0;
    const work = () => pool.use(async (item) => {
      expect(busy.has(item)).toBe(false);
      busy.add(item);
      most = Math.max(most, busy.size);
      await tick(5);
      busy.delete(item);
      return item;
    });
    const used = await Promise.all(Array.from({ length: 7 }, work));
    expect(most).toBe(2);
    expect(new Set(used)).toEqual(new Set(['x', 'y']));
    const inFlight = work();
    const drained = await pool.drain(() => new Error('closed'));
    expect([...drained].sort()).toEqual(['x', 'y']);
    expect(busy.size).toBe(0); // the task that held an item finished first
    await inFlight;
    await expect(work()).rejects.toThrow('closed');
  });
});
