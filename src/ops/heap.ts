import { setFlagsFromString } from 'node:v8';

/**
 * V8's old generation may grow by this % over what was live after a full collection while the node holds
 * many device connections. V8 alone lets it grow up to 4× when collections are quick; a connection storm
 * leaves much short-lived garbage in the old generation, so a hub holding 10,000 devices kept about 475 MB
 * (old space 269 MB committed for 138 MB live), and about 365 MB at 20 % (bench `connections` step).
 */
export const HEAP_GROWING_PERCENT = 20;

/**
 * From this many connected devices the growth is {@link HEAP_GROWING_PERCENT}; below half of it V8's own sizing
 * again. Under it the hub keeps V8's sizing, whose rarer major collections keep the PUBACK p99 of a
 * wrong-password flood low (measured: over 2× the flood-free figure in 2 runs of 3 with 20 % always set).
 */
export const MANY_CONNECTIONS = 2_000;

/**
 * The young generation's semi-space (MiB) every way of starting the hub gives node (`--max-semi-space-size=8`:
 * `npm start`, `bin/cityhub.js`'s first line, the image's `NODE_OPTIONS`, the bench). V8 sizes the young generation
 * when the process starts, and no flag changes it later: its default here is 16 MiB a semi-space, a young
 * generation of 32 MiB, which a node holding thousands of devices grows to and keeps. At 8 it is 16 MiB: 15–16 MB
 * less RSS with 10,000 devices (bench `connections` step, by hand), for scavenges twice as often.
 */
export const SEMI_SPACE_MB = 8;

/** Whether node was started with a semi-space size (on its command line or in `NODE_OPTIONS`). */
export function semiSpaceChosen(execArgv: readonly string[] = process.execArgv, nodeOptions: string = process.env.NODE_OPTIONS ?? ''): boolean {
  return [...execArgv, ...nodeOptions.split(/\s+/)].some((a) => /^--max[-_]semi[-_]space[-_]size(=|$)/.test(a));
}

export interface HeapGrowth {
  /** Hears the connected-device count; switches the growth when it crosses the thresholds. */
  connections(count: number): void;
  /** The growth in force: a % or `'v8'` for V8's own sizing. */
  readonly current: number | 'v8';
}

/**
 * Heap growth that follows the connection count. Left alone (a no-op) when node's command line chose a
 * growth itself (`--heap-growing-percent`). V8 reads the flag each time it sizes the heap after a collection;
 * Node keeps V8's flags writable after start (its V8 turns flag freezing off) for `v8.setFlagsFromString`.
 */
export function heapGrowth(o: { execArgv?: readonly string[]; many?: number; set?: (flag: string) => void; log?: (msg: string, fields: object) => void } = {}): HeapGrowth {
  const execArgv = o.execArgv ?? process.execArgv;
  const many = o.many ?? MANY_CONNECTIONS;
  const set = o.set ?? setFlagsFromString;
  const chosen = execArgv.some((a) => /^--heap[-_]growing[-_]percent(=|$)/.test(a));
  let current: number | 'v8' = 'v8';
  return {
    connections(count) {
      if (chosen) return;
      const next = count >= many ? HEAP_GROWING_PERCENT : count < many / 2 ? 'v8' : current;
      if (next === current) return;
      current = next;
      // 0 is V8's "not set": its own growth factor.
      set(`--heap-growing-percent=${next === 'v8' ? 0 : next}`);
      o.log?.(next === 'v8' ? 'heap: V8\'s own growth again' : `heap: growth held to ${next} %`, { connections: count });
    },
    get current() {
      return current;
    },
  };
}
