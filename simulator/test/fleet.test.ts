import { describe, expect, it } from 'vitest';
import { selectAssets } from '../src/select-assets.js';
import { startWheel } from '../src/wheel.js';

const kindsOf = (n?: number) => {
  const counts: Record<string, number> = {};
  for (const a of selectAssets(n).assets) counts[a.properties.kind] = (counts[a.properties.kind] ?? 0) + 1;
  return counts;
};

describe('selectAssets', () => {
  it('takes every asset by default: 178 links, 20 hotspots, 14 buildings', () => {
    expect(kindsOf()).toEqual({ traffic: 178, wifi: 20, energy: 14 });
    expect(selectAssets().capped).toBe(false);
  });

  it('shares a smaller count among the kinds in proportion, one of each kind at least', () => {
    expect(kindsOf(10)).toEqual({ traffic: 8, wifi: 1, energy: 1 });
    expect(kindsOf(100)).toEqual({ traffic: 84, wifi: 9, energy: 7 });
    expect(kindsOf(3)).toEqual({ traffic: 1, wifi: 1, energy: 1 });
    expect(kindsOf(1)).toEqual({ traffic: 1 });
    expect(selectAssets(0).assets).toEqual([]);
    expect(selectAssets(10).assets[0]!.id).toBe('link-1');
  });

  it('caps a count above the catalogue and says so', () => {
    const r = selectAssets(1000);
    expect(r.assets).toHaveLength(212);
    expect(r.capped).toBe(true);
  });
});

describe('startWheel', () => {
  it('fires every slot once per interval, spread over the interval, from one timer', async () => {
    const fired: { i: number; at: number }[] = [];
    const wheel = startWheel(8, 100, (i) => fired.push({ i, at: performance.now() }));
    await new Promise((r) => setTimeout(r, 1_030));
    wheel.stop();
    const n = fired.length;
    await new Promise((r) => setTimeout(r, 150));
    expect(fired.length).toBe(n); // stopped means stopped
    const perSlot = Array.from({ length: 8 }, (_, i) => fired.filter((f) => f.i === i).length);
    for (const c of perSlot) expect(c).toBeGreaterThanOrEqual(8);
    for (const c of perSlot) expect(c).toBeLessThanOrEqual(11);
    // Round-robin order, and not all in the same millisecond.
    expect(fired.slice(0, 16).map((f) => f.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7]);
    expect(new Set(fired.map((f) => Math.round(f.at))).size).toBeGreaterThan(fired.length / 2);
  });

  it('skips ahead after a stall instead of bursting', async () => {
    let count = 0;
    const wheel = startWheel(4, 50, () => {
      count++;
      if (count === 1) {
        const until = Date.now() + 400; // block the event loop for eight intervals
        while (Date.now() < until);
      }
    });
    await new Promise((r) => setTimeout(r, 600));
    wheel.stop();
    // Without skipping, the stall would be made up with ~32 extra readings.
    expect(count).toBeLessThan(4 * (200 / 50) + 10);
    expect(count).toBeGreaterThanOrEqual(8);
  });
});
