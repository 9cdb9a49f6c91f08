import type { DeadLetter, Point, Store } from '@cityhub/store';
import type { Logger } from '@cityhub/contracts';
import { decodeRecord } from './record.js';
import type { Position, Spool } from './spool/spool.js';

export interface WriterOptions {
  logger: Logger;
  /** Points per store write call. */
  batchPoints: number;
  /** Bytes of spool read per round. */
  readBytes: number;
  /** How long to wait for more readings before writing a small batch. */
  lingerMs: number;
  /** Backoff bounds after a failed store write. */
  minBackoffMs: number;
  maxBackoffMs: number;
  /** Told of every confirmed store write: its duration and size (for metrics). */
  onWrite?: (seconds: number, points: number) => void;
  /** With a backlog and no record stored for this long, the writer counts as stalled (readiness, log). */
  stallMs: number;
}

/** A readiness check: `ok` false with the reason. */
export interface WriterCheck { ok: boolean; detail?: string }

/** Counters and gauges of the writer, for metrics and readiness. */
export interface WriterStats {
  pointsWritten: number;
  deadLettersWritten: number;
  batches: number;
  failures: number;
  /** The last store error, cleared by the next success. */
  lastError: string | null;
  /** Duration of the last successful store write, ms. */
  lastWriteMs: number;
  /** Spool records that passed their checksum but did not decode: skipped. */
  badRecords: number;
}

/**
 * Drains the spool into the store in large batches. Its position is committed to disk only after the
 * store confirmed the write; after a crash it re-writes from the last committed position, which is safe
 * because a point's store key is its series and device time.
 */
export class Writer {
  readonly stats: WriterStats = { pointsWritten: 0, deadLettersWritten: 0, batches: 0, failures: 0, lastError: null, lastWriteMs: 0, badRecords: 0 };
  private readonly o: WriterOptions;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private pos: Position;
  /** Set when the spool got new durable data since the last read. */
  private dirty = false;
  /** When the writer last committed a round or found nothing to do. */
  private progressAt = Date.now();
  private stallLogged = false;
  /**
   * When each durable end was reached, oldest first: the first one past the committed position dates the
   * oldest reading not yet in the store (a backlog left from before a restart dates from the start).
   */
  private readonly durableAt: Array<{ end: Position; at: number }> = [];

  constructor(private readonly spool: Spool, private readonly store: Store, opts: Partial<WriterOptions> & { logger: Logger }) {
    this.o = { batchPoints: 5_000, readBytes: 4 * 1024 * 1024, lingerMs: 50, minBackoffMs: 100, maxBackoffMs: 10_000, stallMs: 30_000, ...opts };
    this.pos = spool.cursor();
    if (spool.backlogBytes() > 0) this.durableAt.push({ end: spool.durableEnd(), at: Date.now() });
    spool.on('durable', () => {
      // At most one entry per 100 ms (the age may read up to 100 ms old), so a stalled writer's list stays short.
      const at = Date.now();
      const last = this.durableAt[this.durableAt.length - 1];
      if (last && at - last.at < 100) last.end = spool.durableEnd();
      else this.durableAt.push({ end: spool.durableEnd(), at });
      this.dirty = true;
      this.wake?.();
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** True while the drain loop runs. */
  isRunning(): boolean {
    return this.running;
  }

  /** True when everything durable has been written to the store. */
  caughtUp(): boolean {
    const end = this.spool.durableEnd();
    const c = this.spool.cursor();
    return this.spool.backlogBytes() === 0 || (c.seg === end.seg && c.off === end.off);
  }

  /** Age in ms of the oldest reading durable in the spool and not yet in the store; 0 when caught up. */
  lagMs(now = Date.now()): number {
    this.forgetWritten();
    return this.durableAt.length > 0 ? now - this.durableAt[0]!.at : 0;
  }

  private forgetWritten(): void {
    const after = (a: Position, b: Position) => a.seg > b.seg || (a.seg === b.seg && a.off > b.off);
    while (this.durableAt.length > 0 && !after(this.durableAt[0]!.end, this.pos)) this.durableAt.shift();
  }

  /** True while there is a backlog and no round was stored for `stallMs`. */
  stalled(): boolean {
    return this.spool.backlogBytes() > 0 && !this.caughtUp() && Date.now() - this.progressAt > this.o.stallMs;
  }

  /**
   * Readiness of the write path: the writer makes progress (`writer`), and the store takes writes and is
   * open (`store`: the last write error, or why the store is being reopened).
   */
  health(): { writer: WriterCheck; store: WriterCheck } {
    const storeHealth = this.store.health?.();
    const storeErr = storeHealth && !storeHealth.ok ? storeHealth.detail ?? 'unavailable' : this.stats.lastError;
    const stuckS = Math.round((Date.now() - this.progressAt) / 1000);
    return {
      writer: this.stalled()
        ? { ok: false, detail: `no progress for ${stuckS} s with ${this.spool.backlogBytes()} bytes waiting${this.stats.lastError ? `: ${this.stats.lastError}` : ''}` }
        : { ok: true },
      store: storeErr ? { ok: false, detail: storeErr } : { ok: true },
    };
  }

  private sleep(ms: number, wakeable: boolean): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() { clearTimeout(t); resolve(); }
      if (wakeable) this.wake = done;
    });
  }

  private async run(): Promise<void> {
    let backoff = this.o.minBackoffMs;
    while (this.running) {
      this.dirty = false;
      const recs = await this.spool.read(this.pos, this.o.readBytes);
      if (recs.length === 0) {
        this.progressAt = Date.now();
        if (!this.dirty) await this.sleep(1_000, true);
        this.wake = undefined;
        if (this.running) await this.sleep(this.o.lingerMs, false);
        continue;
      }
      const { points, dead } = this.decode(recs);
      const next = recs[recs.length - 1]!.next;
      for (;;) {
        try {
          const t0 = performance.now();
          for (let i = 0; i < points.length; i += this.o.batchPoints) await this.store.write(points.slice(i, i + this.o.batchPoints));
          if (dead.length) await this.store.writeDeadLetters(dead);
          this.stats.lastWriteMs = performance.now() - t0;
          this.o.onWrite?.(this.stats.lastWriteMs / 1000, points.length);
          await this.spool.commit(next);
          this.pos = next;
          this.forgetWritten();
          this.stats.pointsWritten += points.length;
          this.stats.deadLettersWritten += dead.length;
          this.stats.batches++;
          this.progressAt = Date.now();
          if (this.stallLogged) this.o.logger.info({ backlogBytes: this.spool.backlogBytes() }, 'the spool writer makes progress again');
          this.stallLogged = false;
          if (this.stats.lastError) this.o.logger.info({ backlogBytes: this.spool.backlogBytes() }, 'store writes succeed again');
          this.stats.lastError = null;
          backoff = this.o.minBackoffMs;
          break;
        } catch (err) {
          this.stats.failures++;
          const msg = (err as Error).message;
          if (this.stats.lastError !== msg) this.o.logger.warn({ err: msg, retryInMs: backoff, backlogBytes: this.spool.backlogBytes() }, 'store write failed; readings stay in the spool and are retried');
          this.stats.lastError = msg;
          if (this.stalled() && !this.stallLogged) {
            this.stallLogged = true;
            this.o.logger.error({ err: msg, backlogBytes: this.spool.backlogBytes(), at: this.pos, stalledMs: Date.now() - this.progressAt }, 'the spool writer is stalled: nothing stored while readings wait; /readyz says not ready');
          }
          if (!this.running) return;
          await this.sleep(backoff, false);
          backoff = Math.min(backoff * 2, this.o.maxBackoffMs);
          if (!this.running) return;
        }
      }
    }
  }

  /** The points and dead letters of `recs`; a record that passed its checksum yet does not decode is skipped. */
  private decode(recs: Array<{ payload: Buffer; next: Position }>): { points: Point[]; dead: DeadLetter[] } {
    const points: Point[] = [];
    const dead: DeadLetter[] = [];
    for (const r of recs) {
      try {
        const rec = decodeRecord(r.payload);
        points.push(...rec.points);
        dead.push(...rec.dead);
      } catch (err) {
        this.stats.badRecords++;
        this.o.logger.error({ err: (err as Error).message, before: r.next, bytes: r.payload.length }, 'spool record does not decode: skipped');
      }
    }
    return { points, dead };
  }

  /** Stops after the current round; a store that is down leaves the rest in the spool for next time. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Resolves once the writer has stored everything that is durable now (for tests and shutdown). */
  async drained(timeoutMs = 10_000): Promise<boolean> {
    const target = this.spool.durableEnd();
    const t0 = Date.now();
    while (Date.now() - t0 < timeoutMs) {
      const c = this.spool.cursor();
      if (c.seg > target.seg || (c.seg === target.seg && c.off >= target.off)) return true;
      this.wake?.();
      await new Promise((r) => setTimeout(r, 10));
    }
    return false;
  }
}
