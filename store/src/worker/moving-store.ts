import { writeRecords } from '../record.js';
import type { ReopenLogger } from '../reopen.js';
import type { AlertEvent, Kind } from '@cityhub/contracts';
import type { AlertEventQuery, ColumnarQuery, ColumnarResult, DeadLetter, DeadLetterQuery, LatestPoint, Point, RecordsWritten, Resolution, SeriesQuery, SeriesResult, Store } from '../types.js';

type Reopening = Store & { reopens?(): number };

/** Options of the moving store. */
export interface MovingStoreOptions {
  /** Opens the store on the calling thread: where it starts. */
  here: () => Reopening;
  /** Opens the same store on a thread of its own: where `moveToOwnThread` takes it. */
  there: () => Reopening;
  logger?: ReopenLogger;
  /**
   * Starts the thread at once (its modules loaded, the file not opened), so that a move only closes the file here
   * and opens it there: a thread started by the move itself loaded and compiled everything while both cores were
   * busy acknowledging, and the move took 0.5–0.6 s.
   */
  threadAtOnce?: boolean;
}

/** Where the store runs: the calling (acknowledging) thread, or a thread of its own. */
export type StoreThread = 'main' | 'own';

/**
 * The DuckDB store on the calling thread until `moveToOwnThread()`, then on a thread of its own for the rest of
 * the process. A thread of its own takes decoding and writing rounds off the thread that acknowledges readings, which
 * is what a flood of readings needs; it also costs its own heap and allocator arenas (tens of MB), which a hub that
 * keeps up without it need not pay. So the hub starts here and moves once readings come fast or its writer falls
 * behind.
 *
 * Moving: calls already running finish here, calls made meanwhile wait (none fails because of the move), the
 * file is closed here (DuckDB opens a file once per process) and opened on the thread. Nothing is lost either way:
 * the spool holds every reading until a write of it committed. A move that fails reopens the store here, where
 * it stays.
 */
export class MovingStore implements Store {
  private inner: Reopening;
  private thread: StoreThread = 'main';
  private moving: Promise<void> | null = null;
  private inflight = 0;
  private drained: (() => void) | null = null;
  private inited = false;
  private closed = false;
  private tried = false;
  private reopensBefore = 0;

  /** The store on its thread, started at once (`threadAtOnce`) and not yet opened. */
  private ready: Reopening | undefined;

  constructor(private readonly opts: MovingStoreOptions) {
    this.inner = opts.here();
    if (opts.threadAtOnce) this.ready = opts.there();
  }

  get name(): string {
    return this.inner.name;
  }

  /** Where the store runs now. */
  where(): StoreThread {
    return this.thread;
  }

  /**
   * Moves the store to a thread of its own, once; resolves to where it runs afterwards. A second call while
   * moving waits for the same move; after a failed move it stays where it is.
   */
  moveToOwnThread(): Promise<StoreThread> {
    if (!this.moving) {
      if (this.thread === 'own' || this.tried || this.closed || !this.inited) return Promise.resolve(this.thread);
      this.tried = true;
      this.moving = this.move().finally(() => { this.moving = null; });
    }
    return this.moving.then(() => this.thread);
  }

  /** Never rejects: whatever fails leaves a store to call, here if not there. */
  private async move(): Promise<void> {
    const t0 = Date.now();
    if (this.inflight > 0) await new Promise<void>((r) => { this.drained = r; });
    this.drained = null;
    const old = this.inner;
    this.reopensBefore += old.reopens?.() ?? 0;
    await old.close().catch((err: unknown) => this.opts.logger?.error({ err: String(err) }, 'closing the store on the main thread before moving it failed'));
    let next: Reopening | undefined;
    try {
      next = this.ready ?? this.opts.there();
      this.ready = undefined;
      await next.init();
      this.inner = next;
      this.thread = 'own';
      this.opts.logger?.info({ ms: Date.now() - t0 }, 'the store moved to a thread of its own: readings came fast or the writer had fallen behind');
    } catch (err) {
      await next?.close().catch(() => undefined);
      this.opts.logger?.error({ err: err instanceof Error ? err.message : String(err) }, 'the store could not move to a thread of its own: it stays on the main thread');
      this.inner = this.opts.here();
      await this.inner.init().catch((e: unknown) => this.opts.logger?.error({ err: String(e) }, 'the store could not be opened again on the main thread'));
    }
  }

  private async call<T>(fn: (s: Reopening) => Promise<T>): Promise<T> {
    while (this.moving) await this.moving;
    const s = this.inner;
    this.inflight++;
    try {
      return await fn(s);
    } finally {
      if (--this.inflight === 0) this.drained?.();
    }
  }

  async init(): Promise<void> {
    await this.call((s) => s.init());
    this.inited = true;
  }

  write(points: readonly Point[]): Promise<void> { return this.call((s) => s.write(points)); }
  /** On the thread, the thread's own (records decoded there); here, record.ts's. */
  writeRecords(records: readonly Uint8Array[], batchPoints: number): Promise<RecordsWritten> {
    return this.call((s) => (s.writeRecords ? s.writeRecords(records, batchPoints) : writeRecords(s, records, batchPoints)));
  }

  latest(kind: Kind): Promise<LatestPoint[]> { return this.call((s) => s.latest(kind)); }
  series(q: SeriesQuery): Promise<SeriesResult[]> { return this.call((s) => s.series(q)); }
  seriesColumns(q: ColumnarQuery): Promise<ColumnarResult> { return this.call((s) => s.seriesColumns(q)); }
  deleteBefore(before: number, resolution?: Resolution): Promise<number | null> { return this.call((s) => s.deleteBefore(before, resolution)); }
  writeDeadLetters(rows: readonly DeadLetter[]): Promise<void> { return this.call((s) => s.writeDeadLetters(rows)); }
  listDeadLetters(q: DeadLetterQuery): Promise<DeadLetter[]> { return this.call((s) => s.listDeadLetters(q)); }
  deleteDeadLetters(ids: readonly string[]): Promise<number> { return this.call((s) => s.deleteDeadLetters(ids)); }
  writeAlertEvents(events: readonly AlertEvent[]): Promise<void> { return this.call((s) => s.writeAlertEvents(events)); }
  listAlertEvents(q: AlertEventQuery): Promise<AlertEvent[]> { return this.call((s) => s.listAlertEvents(q)); }

  health(): { ok: boolean; detail?: string } {
    return this.inner.health?.() ?? { ok: true };
  }

  reopens(): number {
    return this.reopensBefore + (this.inner.reopens?.() ?? 0);
  }

  /** Waits for a move under way, then closes wherever the store runs. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.moving) await this.moving;
    const ready = this.ready;
    this.ready = undefined;
    await Promise.all([this.inner.close(), ready?.close()]);
  }
}

/** The DuckDB store that starts on the calling thread and may move to a thread of its own (see MovingStore). */
export function createMovingStore(opts: MovingStoreOptions): MovingStore {
  return new MovingStore(opts);
}
