import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Position, Spool } from './spool.js';

/** Temporary spool directories for the spool tests; `clean()` (in afterEach) removes them. */
export function tempDirs(prefix: string): { tmp: () => Promise<string>; clean: () => Promise<void> } {
  const dirs: string[] = [];
  return {
    tmp: async () => {
      const d = await mkdtemp(join(tmpdir(), prefix));
      dirs.push(d);
      return d;
    },
    clean: async () => {
      for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
    },
  };
}

/** Every payload from `from` to the end (skipped corrupt records left out), and the position after them. */
export async function readAll(s: Spool, from: Position = s.cursor()): Promise<{ items: string[]; end: Position }> {
  const items: string[] = [];
  let pos = from;
  for (;;) {
    const recs = await s.read(pos, 64 * 1024);
    if (recs.length === 0) return { items, end: pos };
    for (const r of recs) if (r.payload.length) items.push(r.payload.toString());
    pos = recs[recs.length - 1]!.next;
  }
}
