/** The simulator as the bench runs it: gen/simulate.mjs (`cityhub devices simulate`) with --json events. */
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { BENCH, rssOf, spawnWatched, stopChild } from './procs.js';

export interface SimEvent { event: string; t: number; [k: string]: unknown }

export interface BenchSimulator {
  proc: ChildProcess;
  events(): SimEvent[];
  /** Resolves with the first event named `name`; rejects if the simulator exits first or after `timeoutMs`. */
  waitFor(name: string, timeoutMs: number): Promise<SimEvent>;
  rss(): { rss: number; peak: number };
  /** SIGTERM: the simulator sends every device's `offline`, disconnects and prints its `stopped` event. */
  stop(graceMs?: number): Promise<SimEvent | undefined>;
  output(): string;
}

export function startSimulator(args: string[], env: Record<string, string>): BenchSimulator {
  const w = spawnWatched(process.execPath, [join(BENCH, 'gen', 'simulate.mjs'), '--json', ...args], { ...process.env, ...env });
  const events = (): SimEvent[] => w.stdout().split('\n').filter((l) => l.startsWith('{"event"')).map((l) => JSON.parse(l) as SimEvent);
  return {
    proc: w.proc,
    events,
    output: () => w.output(),
    async waitFor(name, timeoutMs) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const e = events().find((x) => x.event === name);
        if (e) return e;
        if (w.proc.exitCode !== null) throw new Error(`simulator exited (${w.proc.exitCode}) before "${name}":\n${w.output().slice(-3000)}`);
        if (Date.now() > end) throw new Error(`no "${name}" from the simulator within ${timeoutMs} ms:\n${w.output().slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    rss: () => rssOf(w.proc.pid!),
    async stop(graceMs = 60_000) {
      await stopChild(w.proc, 'SIGTERM', graceMs);
      return events().find((e) => e.event === 'stopped');
    },
  };
}
