import { describe, expect, it } from 'vitest';
import type { SeriesResponse } from '@cityhub/contracts';
import type { SeriesQuery } from './api.js';
import { RECENT_TTL_MS, SeriesCache } from './series-cache.js';

const answer = (n: number): SeriesResponse => ({ metric: 'clients', agg: 'mean', step_s: 60, from: '', to: '', series: [{ asset: 'h', points: [['t', n]] }] });
const NOW = Date.UTC(2025, 0, 10);
const q = (from: number, to: number): SeriesQuery => ({ kind: 'wifi', metric: 'clients', from, to, step: '60s', agg: 'mean' });

function setup(max = 3) {
  let now = NOW;
  const asked: number[] = [];
  let fail = false;
  const cache = new SeriesCache(async (x) => {
    asked.push(x.from);
    if (fail) throw new Error('down');
    return answer(asked.length);
  }, (x) => `${x.from}-${x.to}`, max, () => now);
  return { cache, asked, tick: (ms: number) => { now += ms; }, setFail: (f: boolean) => { fail = f; } };
}

describe('SeriesCache', () => {
  it('shares one request between asks and keeps answers about the past', async () => {
    const { cache, asked, tick } = setup();
    const past = q(NOW - 86_400_000, NOW - 3_600_000);
    const [a, b] = await Promise.all([cache.get(past), cache.get(past)]);
    expect(a).toBe(b);
    tick(10 * RECENT_TTL_MS);
    await cache.get(past);
    expect(asked).toHaveLength(1);
  });

  it('asks again for a range that reaches the present once it is stale', async () => {
    const { cache, asked, tick } = setup();
    const recent = q(NOW - 3_600_000, NOW + 60_000);
    await cache.get(recent);
    tick(RECENT_TTL_MS - 1);
    await cache.get(recent);
    tick(2);
    expect((await cache.get(recent)).series[0]?.points[0]?.[1]).toBe(2);
    expect(asked).toHaveLength(2);
  });

  it('forgets failures and drops the least recently used', async () => {
    const { cache, asked, setFail } = setup(2);
    setFail(true);
    await expect(cache.get(q(1, 2))).rejects.toThrow('down');
    setFail(false);
    await cache.get(q(1, 2));
    await cache.get(q(3, 4));
    await cache.get(q(1, 2));
    await cache.get(q(5, 6));
    expect(cache.size).toBe(2);
    await cache.get(q(1, 2));
    await cache.get(q(3, 4));
    expect(asked).toEqual([1, 1, 3, 5, 3]);
  });
});
