import type { Point } from '../types.js';

const MINUTE = 60_000;

/**
 * Rebuilds, a while later, the rollup buckets that writes touched. Several processes writing one InfluxDB
 * (broker nodes of a split deployment) each rebuild a touched bucket from what they read: when a device
 * moves between nodes, one node's rebuild can read before the other's points land and be written after
 * the other's correct one. A rebuild that starts once every concurrent write has landed reads them all,
 * so rebuilding each touched bucket again `delayMs` later makes the rollups right within that time.
 *
 * Touched buckets are kept as one representative point per series, minute and metric set, so memory grows
 * with series × minutes written in the window, not with readings.
 */
export class RollupSettler {
  private pending = new Map<string, Point>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly delayMs: number, private readonly rebuild: (points: Point[]) => Promise<void>) {}

  /** Notes the buckets `points` touched, to rebuild them after the delay. */
  add(points: readonly Point[]): void {
    for (const p of points) {
      const minute = p.ts - (((p.ts % MINUTE) + MINUTE) % MINUTE);
      const k = `${p.kind}\u0000${p.asset}\u0000${p.device}\u0000${minute}`;
      const had = this.pending.get(k);
      if (had) {
        for (const m of Object.keys(p.values)) had.values[m] ??= 0;
      } else {
        this.pending.set(k, { kind: p.kind, asset: p.asset, device: p.device, ts: minute, seq: 0, values: Object.fromEntries(Object.keys(p.values).map((m) => [m, 0])) });
      }
    }
    this.timer ??= setTimeout(() => { this.timer = undefined; void this.run(); }, this.delayMs);
    this.timer.unref();
  }

  /** Rebuilds what is pending now; buckets whose rebuild failed are kept for the next round. */
  run(): Promise<void> {
    this.running = this.running.then(async () => {
      const batch = [...this.pending.values()];
      this.pending = new Map();
      if (batch.length === 0) return;
      try {
        await this.rebuild(batch);
      } catch {
        // The store is away: the writes that touched these buckets failed too and will be retried, and
        // those retries add them again; keeping them here as well costs nothing.
        this.add(batch);
      }
    });
    return this.running;
  }

  /** Stops the timer; what is pending is rebuilt now, once. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.run();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }
}
