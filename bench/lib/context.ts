/** What every bench step gets: how many repeats, the time budget, where to log and profile. */
export interface BenchContext {
  /** Repeats of every measured figure (the median and spread are over these). */
  runs: number;
  /** The bench must be done by then (epoch ms); steps check `left()` before starting. */
  deadline: number;
  log(msg: string): void;
  /** When set, the hub runs under `node --cpu-prof` and its profiles go here. */
  profileDir?: string;
}

export const left = (ctx: BenchContext): number => ctx.deadline - Date.now();
