import { writeRecords, type RecordsWritten, type Store } from '@cityhub/store';
import type { Logger } from '@cityhub/contracts';
import type { Position, Spool } from './spool/spool.js';

export interface WriterOptions {
  logger: Logger;
  /** Points per store write call (one store transaction): the largest batch. */
  batchPoints: number;
  /** Bytes of spool read per round. */
  readBytes: number;
  /**
   * A round of writes starts at most once per interval, whatever the number of devices: a trickle of
   * readings costs one store transaction per interval. A backlog of `PROMPT_BYTES` or more is written at once.
   */
  intervalMs: number;
  /** Backoff bounds after a failed store write. */
  minBackoffMs: number;
  maxBackoffMs: number;
  /**
   * Told of every confirmed round: its duration, its size, and how long its oldest reading waited between
   * being acknowledged (durable in the spool) and being queryable; null when unknown (replayed at start).
   */
  onWrite?: (seconds: number, points: number, delaySeconds: number | null) => void;
  /** With a backlog and no record stored for this long, the writer counts as stalled (readiness, log). */
  stallMs: number;
  /**
   * Told once when the writer falls behind, or is about to: readings became durable at `FAST_BYTES_PER_S` or more
   * over `RATE_WINDOW_MS`, or the `BEHIND_ROUNDS`th round in a row ended with another round's worth (`readBytes`)
   * already waiting, or took `BEHIND_WRITE_MS` or more to write and ended with `PROMPT_BYTES` waiting (the next round
   * starts at once: the writer writes back to back). The hub then moves its store off the acknowledging
   * thread (CITYHUB_DUCKDB_OWN_THREAD=auto). Returning false declines for now: the writer tells again when a
   * later window or run of rounds qualifies afresh.
   */
  onBehind?: () => boolean | void;
}

/**
 * Durable spool bytes a second at which the writer says it is about to fall behind (`onBehind`) before any round
 * shows it: about 5,500 readings/s of one reading per message. 10,000 devices at one reading per 5 s append about
 * 0.38 MB/s, the live city 8 kB/s; a flood of 20 devices sending back to back, 5 MB/s or more.
 */
export const FAST_BYTES_PER_S = 1024 * 1024;
/** The span over which that rate is taken (ms). */
export const RATE_WINDOW_MS = 1_000;

/**
 * A backlog this large is written at once rather than after the rest of the interval (bytes; or `readBytes` when
 * smaller): about 3,500 readings of one reading per message. 10,000 devices at one reading per 5 s append about
 * 0.38 MB a second, so they keep one round a second; a flood of 5 MB/s or more has this much within 0.1 s, and its
 * rounds follow each other with no pause, so that the store is never further behind than the round being written.
 */
export const PROMPT_BYTES = 512 * 1024;
/**
 * After a round of `PROMPT_BYTES` or more (a flood), what came meanwhile is written after this pause (ms) rather than
 * the rest of the interval: a flood's last readings are queryable this soon after its end, not up to an interval later.
 */
export const FLOOD_PAUSE_MS = 50;

/** Rounds in a row that end behind before the writer says it has fallen behind (`onBehind`). */
export const BEHIND_ROUNDS = 2;
/**
 * A round that took this long to write, and after which the next starts at once (`PROMPT_BYTES` waiting), is behind
 * (ms): with the store on the acknowledging thread, the writer then holds it a quarter of a second at a time with no
 * pause between. A flood of 20 devices sending back to back on 2 cores takes 0.3–0.8 s a round here, with megabytes
 * waiting after each; 10,000 devices at one reading per 5 s, 0.05–0.45 s a round, a second apart, with at most about
 * 200 kB waiting (so a slow round alone, after which the writer sleeps, is not behind: two in a row moved a store
 * that had no need to, about 50 MB more); the live city, a few ms.
 */
export const BEHIND_WRITE_MS = 250;

/** Durable marks closer in time than this are merged (see `Writer.marks`). */
const MARK_MS = 20;
const MAX_MARKS = 10_000;

/** True when `a` is past `b` in the spool. */
const after = (a: Position, b: Position): boolean => a.seg > b.seg || (a.seg === b.seg && a.off > b.off);

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
  /** Of the last round: acknowledged (durable) to queryable for its oldest reading, ms; null when unknown. */
  lastDelayMs: number | null;
  /** Store write calls (transactions) confirmed. */
  transactions: number;
  /** Spool records that passed their checksum but did not decode: skipped. */
  badRecords: number;
}

/**
 * Drains the spool into the store in large batches. Its position is committed to disk only after the
 * store confirmed the write; after a crash it re-writes from the last committed position, which is safe
 * because a point's store key is its series and device time.
 */
export class Writer {
  readonly stats: WriterStats = { pointsWritten: 0, deadLettersWritten: 0, batches: 0, failures: 0, lastError: null, lastWriteMs: 0, lastDelayMs: null, transactions: 0, badRecords: 0 };
  private readonly o: WriterOptions;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** A backlog this large starts a round at once (`PROMPT_BYTES`, or `readBytes` when smaller). */
  private readonly promptBytes: number;
  /** What wakes the current sleep besides stop() and drained(): any durable data, or `promptBytes` waiting. */
  private wakeOn: 'any' | 'round' = 'round';
  /**
   * When data became durable: each mark says that everything before `end` was durable (acknowledged) at
   * `at`, for the acknowledged-to-queryable delay and the writer's lag; a backlog left from before a restart
   * dates from the start. Marks closer than MARK_MS are merged (a delay is then over-stated by at most that);
   * beyond MAX_MARKS the ones after the oldest are dropped, so the oldest reading waiting keeps its time.
   */
  private marks: Array<{ end: Position; at: number }> = [];
  private pos: Position;
  /** Set when the spool got new durable data since the last read. */
  private dirty = false;
  /** Rounds in a row that ended behind: slow to write, or with another round's worth waiting (see `onBehind`). */
  private behind = 0;
  /** Where the current rate window started: when, and the spool's appended bytes then. */
  private rateFrom = { at: Date.now(), bytes: 0 };
  /** Set once `onBehind` took the news (returned anything but false). */
  private told = false;
  /** When the writer last committed a round or found nothing to do. */
  private progressAt = Date.now();
  private stallLogged = false;

  constructor(private readonly spool: Spool, private readonly store: Store, opts: Partial<WriterOptions> & { logger: Logger }) {
    this.o = { batchPoints: 5_000, readBytes: 4 * 1024 * 1024, intervalMs: 1_000, minBackoffMs: 100, maxBackoffMs: 10_000, stallMs: 30_000, ...opts };
    this.promptBytes = Math.min(PROMPT_BYTES, this.o.readBytes);
    this.pos = spool.cursor();
    if (spool.backlogBytes() > 0) this.marks.push({ end: spool.durableEnd(), at: Date.now() });
    this.rateFrom.bytes = spool.counters.bytes;
    spool.on('durable', () => {
      this.dirty = true;
      this.mark(spool.durableEnd());
      this.checkRate();
      if (this.wakeOn === 'any' || this.spool.backlogBytes() >= this.promptBytes) this.wake?.();
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
    const first = this.marks.find((m) => after(m.end, this.pos));
    return first ? now - first.at : 0;
  }

  /** True while there is a backlog and no round was stored for `stallMs` (beyond the interval a round may wait). */
  stalled(): boolean {
    return this.spool.backlogBytes() > 0 && !this.caughtUp() && Date.now() - this.progressAt > this.o.stallMs + this.o.intervalMs;
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

  /** Calls `onBehind`, until it takes the news (anything but false). */
  private tell(): void {
    if (this.told) return;
    this.told = this.o.onBehind?.() !== false;
    if (this.told) return;
    // Declined: both counts start again, so that it is asked again only on fresh evidence.
    this.behind = 0;
    this.rateFrom = { at: Date.now(), bytes: this.spool.counters.bytes };
  }

  /**
   * Tells `onBehind` when `FAST_BYTES_PER_S` worth of a `RATE_WINDOW_MS` window was made durable before the window
   * ended. A window starts with the first durable write after the last one ended.
   */
  private checkRate(): void {
    if (this.told) return;
    const now = Date.now();
    const bytes = this.spool.counters.bytes;
    if (now - this.rateFrom.at >= RATE_WINDOW_MS) this.rateFrom = { at: now, bytes };
    else if (bytes - this.rateFrom.bytes >= (FAST_BYTES_PER_S * RATE_WINDOW_MS) / 1000) this.tell();
  }

  private mark(end: Position): void {
    const now = Date.now();
    const last = this.marks.at(-1);
    if (last && now - last.at < MARK_MS) last.end = end;
    else this.marks.push({ end, at: now });
    if (this.marks.length > MAX_MARKS) this.marks.splice(1, this.marks.length - MAX_MARKS);
  }

  /** Acknowledged-to-queryable delay of the oldest reading after `from`, now that a round up to `to` is stored; forgets the marks before `to`. */
  private delayMs(from: Position, to: Position): number | null {
    const first = this.marks.find((m) => after(m.end, from));
    while (this.marks.length > 0 && !after(this.marks[0]!.end, to)) this.marks.shift();
    return first ? Date.now() - first.at : null;
  }

  /** Sleeps `ms`; stop() and drained() end it early, and so does durable data as `wakeOn` says. */
  private sleep(ms: number, wakeOn: 'any' | 'round' | null): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      const t = setTimeout(done, Math.max(0, ms));
      if (wakeOn) {
        this.wakeOn = wakeOn;
        this.wake = done;
      }
    });
  }

  /**
   * Rounds: reads what the spool holds (up to `readBytes`), writes it, and waits for the rest of the
   * interval unless `promptBytes` are already waiting (or come while it waits), so that a backlog drains at full
   * speed and a flood is written as it comes; after a round of `promptBytes` or more, only `FLOOD_PAUSE_MS`.
   */
  private async run(): Promise<void> {
    while (this.running) {
      const roundAt = Date.now();
      this.dirty = false;
      const recs = await this.spool.read(this.pos, this.o.readBytes);
      let points = 0;
      let bytes = 0;
      for (const r of recs) bytes += r.payload.length;
      if (recs.length === 0) {
        this.progressAt = Date.now();
        // Idle: wait for the next durable reading (or a second) before the rest of the interval.
        if (!this.dirty) await this.sleep(1_000, 'any');
      } else {
        const written = await this.writeRound(recs);
        if (written === null) return;
        points = written;
      }
      if (!this.running) return;
      const waiting = this.spool.backlogBytes();
      const backToBack = waiting >= this.promptBytes && this.stats.lastWriteMs >= BEHIND_WRITE_MS;
      this.behind = points > 0 && (waiting >= this.o.readBytes || backToBack) ? this.behind + 1 : 0;
      if (this.behind === BEHIND_ROUNDS) this.tell();
      if (waiting >= this.promptBytes || (points >= this.o.batchPoints && waiting > 0)) continue;
      const pauseMs = bytes >= this.promptBytes ? Math.min(FLOOD_PAUSE_MS, this.o.intervalMs) : roundAt + this.o.intervalMs - Date.now();
      await this.sleep(pauseMs, 'round');
    }
  }

  /** Writes one round and commits the spool past it, retrying with backoff; its points, or null once stopped. */
  private async writeRound(recs: Array<{ payload: Buffer; next: Position }>): Promise<number | null> {
    let backoff = this.o.minBackoffMs;
    const payloads = recs.map((r) => r.payload);
    const next = recs[recs.length - 1]!.next;
    for (;;) {
      try {
        const t0 = performance.now();
        // A store on a thread of its own decodes the records there; any other, here (the store package's record.ts).
        const done: RecordsWritten = this.store.writeRecords
          ? await this.store.writeRecords(payloads, this.o.batchPoints)
          : await writeRecords(this.store, payloads, this.o.batchPoints);
        this.stats.transactions += done.transactions;
        this.stats.lastWriteMs = performance.now() - t0;
        this.skipped(recs, done.bad);
        await this.spool.commit(next);
        this.stats.lastDelayMs = this.delayMs(this.pos, next);
        this.o.onWrite?.(this.stats.lastWriteMs / 1000, done.points, this.stats.lastDelayMs === null ? null : this.stats.lastDelayMs / 1000);
        this.pos = next;
        this.committed(done.points, done.deadLetters);
        return done.points;
      } catch (err) {
        this.failed(err as Error, backoff);
        if (!this.running) return null;
        await this.sleep(backoff, null);
        backoff = Math.min(backoff * 2, this.o.maxBackoffMs);
        if (!this.running) return null;
      }
    }
  }

  /** Counts and logs the records of a stored round that passed their checksum yet did not decode: they were skipped. */
  private skipped(recs: ReadonlyArray<{ payload: Buffer; next: Position }>, bad: RecordsWritten['bad']): void {
    for (const b of bad) {
      this.stats.badRecords++;
      const r = recs[b.index]!;
      this.o.logger.error({ err: b.error, before: r.next, bytes: r.payload.length }, 'spool record does not decode: skipped');
    }
  }

  /** Counts a committed round, and says so when it ends a stall or a run of failures. */
  private committed(points: number, dead: number): void {
    this.stats.pointsWritten += points;
    this.stats.deadLettersWritten += dead;
    this.stats.batches++;
    this.progressAt = Date.now();
    if (this.stallLogged) this.o.logger.info({ backlogBytes: this.spool.backlogBytes() }, 'the spool writer makes progress again');
    this.stallLogged = false;
    if (this.stats.lastError) this.o.logger.info({ backlogBytes: this.spool.backlogBytes() }, 'store writes succeed again');
    this.stats.lastError = null;
  }

  /** Counts and logs a failed round (once per distinct error, and once when the writer counts as stalled). */
  private failed(err: Error, backoff: number): void {
    this.stats.failures++;
    const msg = err.message;
    if (this.stats.lastError !== msg) this.o.logger.warn({ err: msg, retryInMs: backoff, backlogBytes: this.spool.backlogBytes() }, 'store write failed; readings stay in the spool and are retried');
    this.stats.lastError = msg;
    if (this.stalled() && !this.stallLogged) {
      this.stallLogged = true;
      this.o.logger.error({ err: msg, backlogBytes: this.spool.backlogBytes(), at: this.pos, stalledMs: Date.now() - this.progressAt }, 'the spool writer is stalled: nothing stored while readings wait; /readyz says not ready');
    }
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
