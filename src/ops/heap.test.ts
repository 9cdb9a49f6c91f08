import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_PERCENT, heapGrowth, SEMI_SPACE_MB, semiSpaceChosen } from './heap.js';

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

describe('the young generation', () => {
  it('knows a semi-space size given on node\'s command line or in NODE_OPTIONS', () => {
    expect(semiSpaceChosen([], '')).toBe(false);
    expect(semiSpaceChosen(['--heap-growing-percent=20'], '--max-old-space-size=300')).toBe(false);
    expect(semiSpaceChosen([`--max-semi-space-size=${SEMI_SPACE_MB}`], '')).toBe(true);
    expect(semiSpaceChosen(['--max_semi_space_size', '4'], '')).toBe(true);
    expect(semiSpaceChosen([], `--enable-source-maps --max-semi-space-size=${SEMI_SPACE_MB}`)).toBe(true);
  });

  it('is given to node by every way of starting the hub: npm start, bin/cityhub.js, the image, the bench', () => {
    const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
    const flag = `--max-semi-space-size=${SEMI_SPACE_MB}`;
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toContain(`node ${flag} bin/cityhub.js start`);
    expect(read('bin/cityhub.js').split('\n')[0]).toBe(`#!/usr/bin/env -S node ${flag}`);
    expect(read('Dockerfile')).toMatch(new RegExp(`^ENV NODE_OPTIONS=${flag} `, 'm'));
    expect(read('bench/lib/hub.ts')).toContain(`HUB_NODE_ARGS = ['${flag}']`);
  });
});
