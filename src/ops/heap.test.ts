import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_PERCENT, heapFlag, tuneHeap } from './heap.js';

describe('the heap growth a long-running node sets for itself', () => {
  it('is V8\'s --heap-growing-percent at the documented figure', () => {
    expect(heapFlag([])).toBe(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
    expect(heapFlag(['--max-old-space-size=512', '--enable-source-maps'])).toBe('--heap-growing-percent=20');
  });
  it('leaves a growth chosen on the command line as it is', () => {
    for (const given of [['--heap-growing-percent=50'], ['--heap_growing_percent=5'], ['--heap-growing-percent', '50']]) {
      expect(heapFlag(given)).toBeNull();
      expect(tuneHeap(given)).toBeNull();
    }
  });
});
