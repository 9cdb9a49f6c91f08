import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_PERCENT, heapGrowth } from './heap.js';

describe('heap growth that follows the connection count', () => {
  it('holds the growth to 20 % from 2,000 connected devices and gives it back to V8 below 1,000', () => {
    const flags: string[] = [];
    const g = heapGrowth({ execArgv: [], set: (f) => flags.push(f) });
    for (const n of [1, 500, 1_999]) g.connections(n);
    expect(g.current).toBe('v8');
    expect(flags).toEqual([]);
    g.connections(2_000);
    expect(g.current).toBe(HEAP_GROWING_PERCENT);
    // Between the thresholds it stays as it is: no flapping around one figure.
    for (const n of [10_000, 1_999, 1_000, 1_500, 2_500]) g.connections(n);
    expect(flags).toEqual(['--heap-growing-percent=20']);
    g.connections(999);
    expect(g.current).toBe('v8');
    expect(flags).toEqual(['--heap-growing-percent=20', '--heap-growing-percent=0']);
  });

  it('leaves a growth chosen on node\'s command line as it is', () => {
    for (const execArgv of [['--heap-growing-percent=50'], ['--heap_growing_percent=5'], ['--heap-growing-percent', '50']]) {
      const flags: string[] = [];
      const g = heapGrowth({ execArgv, set: (f) => flags.push(f) });
      g.connections(10_000);
      expect(flags).toEqual([]);
      expect(g.current).toBe('v8');
    }
  });

  it('sets the real V8 flag without complaint', () => {
    const g = heapGrowth({ execArgv: [], many: 2 });
    g.connections(2);
    expect(g.current).toBe(20);
    g.connections(0);
    expect(g.current).toBe('v8');
  });
});
