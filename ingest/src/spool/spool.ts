import { EventEmitter } from 'node:events';
import { constants } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { IngestError } from '../errors.js';
import { decodeFrame, encodeFrame, HEADER_BYTES, MAX_RECORD_BYTES, nextValidFrame } from './frame.js';
import { Linger } from './linger.js';
import { recoverSpool, segName, writeCursorFile, type Position, type SpoolEvent } from './recover.js';

/**
 * Segments are written with O_DSYNC: a write returns once its data (and the size that reaches it) is on the
 * device, as write() then fdatasync() would, in one call. A group of records so costs one trip to the
 * thread pool and one wake-up of the event loop instead of two (measured on the live city's bench step).
 */
const APPEND_DSYNC = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_DSYNC;

export type { Position, SpoolEvent } from './recover.js';

export interface SpoolOptions {
  /** A segment is closed and a new one started past this size. */
  segmentBytes?: number;
  /** Unconsumed bytes at which appends wait (the hub stops acknowledging) until the writer catches up. */
  capBytes?: number;
  /** Told of the cap, of what recovery repaired, of corrupt records skipped and of failed writes. */
  onEvent?: (e: SpoolEvent) => void;
  /**
   * The committed cursor is written to disk at most this often (and always before a segment is freed and on
   * close). A crash replays what was stored since: the store's writes are idempotent, so that costs a few
   * seconds of rewrites, never a reading. Default 5,000 ms.
   */
  cursorSyncMs?: number;
  /**
   * How long a record appended with `linger` to an idle spool waits for others before the write that makes it
   * durable: one write then covers readings of several devices. Default 0 (written at once).
   */
  commitDelayMs?: number;
  /** Sleeps the thread up to `ms` (true), or refuses (false): a lingering record then waits by sleeping (see `Linger`). */
  nap?: (ms: number) => boolean;
}

interface Pending { frame: Buffer; resolve: () => void; reject: (e: Error) => void }

/** Queued bytes past which a lingering record is written at once. */
const LINGER_MAX_BYTES = 256 * 1024;

/** What `read` returns for a corrupt record it steps over: no payload, and the position after it. */
const SKIPPED = Buffer.alloc(0);

/**
 * An append-only, checksummed log on disk with group commit: appends that arrive while a write is in
 * flight share the next `writev` + `fdatasync`, and each append resolves only after the fsync that covers
 * it. That is what lets the broker send a PUBACK only for readings that are on disk without paying one
 * fsync per message. A single consumer reads from its durable cursor and commits what the store confirmed.
 * A failed write is cut off again before anything else happens; a corrupt record is stepped over, counted
 * and reported, never a reason to drop the records after it.
 */
export class Spool extends EventEmitter<{ durable: [] }> {
  private fh!: FileHandle;
  private active = 0;
  private activeSize = 0;
  private sizes = new Map<number, number>();
  /** Segment → offset of a corrupt record → offset of the next good one. */
  private skips = new Map<number, Map<number, number>>();
  private queue: Pending[] = [];
  private flushing = false;
  /** Records appended with `linger` waiting for company (`commitDelayMs`). */
  private readonly lingering: Linger;
  private closed = false;
  private cur: Position = { seg: 0, off: 0 };
  /** The cursor as last written to disk, and when. */
  private synced: Position = { seg: 0, off: 0 };
  private syncedAt = 0;
  /** The segment the consumer reads, kept open between rounds. */
  private reader: { seg: number; fh: FileHandle } | null = null;
  private full = false;
  private capWaiters: Array<() => void> = [];
  private queuedBytes = 0;
  /** The error of the last append, cleared by the next one that succeeds. */
  private writeError: string | null = null;
  private failuresInRow = 0;
  private readonly segmentBytes: number;
  private readonly capBytes: number;
  /** Totals since open, for metrics: corrupt records skipped, failed writes, cursor repairs included. */
  readonly counters = { appends: 0, fsyncs: 0, bytes: 0, corruptFrames: 0, writeFailures: 0, cursorRepairs: 0, naps: 0 };

  private constructor(readonly dir: string, private readonly opts: SpoolOptions) {
    super();
    this.segmentBytes = opts.segmentBytes ?? 64 * 1024 * 1024;
    this.capBytes = opts.capBytes ?? 1024 * 1024 * 1024;
    this.lingering = new Linger(opts.nap, () => this.counters.naps++);
  }

  /** Opens (or creates) the spool in `dir`, repairing what a crash, a full disk or a bad sector left. */
  static async open(dir: string, opts: SpoolOptions = {}): Promise<Spool> {
    const s = new Spool(dir, opts);
    await s.recover();
    return s;
  }

  private event(e: SpoolEvent): void {
    this.opts.onEvent?.(e);
  }

  private async recover(): Promise<void> {
    const r = await recoverSpool(this.dir, (e) => this.event(e));
    this.sizes = r.sizes;
    this.skips = r.skips;
    this.counters.corruptFrames = r.corruptFrames;
    this.cur = r.cursor;
    this.synced = r.cursor;
    const segs = [...r.sizes.keys()];
    this.active = segs.length ? segs[segs.length - 1]! : r.cursor.seg;
    await this.openActive(segs.length === 0);
    if (r.cursorRepaired) {
      this.counters.cursorRepairs++;
      await this.commit(r.cursor, true);
    }
  }

  private async openActive(created: boolean): Promise<void> {
    this.fh = await open(join(this.dir, segName(this.active)), APPEND_DSYNC, 0o666);
    this.activeSize = this.sizes.get(this.active) ?? 0;
    this.sizes.set(this.active, this.activeSize);
    if (created) await this.syncDir();
  }

  private async syncDir(): Promise<void> {
    const d = await open(this.dir, 'r');
    try { await d.sync(); } finally { await d.close(); }
  }

  /**
   * Appends one record; resolves once it is on disk (after the synchronous write that covers it). With `linger`,
   * a record that finds the spool idle waits up to `commitDelayMs` for others; any record appended without it
   * writes what waits at once.
   */
  async append(payload: Buffer, o: { linger?: boolean } = {}): Promise<void> {
    if (this.closed) throw new IngestError('SPOOL_CLOSED', 'the spool is closed');
    if (payload.length > MAX_RECORD_BYTES) throw new IngestError('SPOOL_IO', `record of ${payload.length} bytes is over the ${MAX_RECORD_BYTES}-byte limit`);
    const frame = encodeFrame(payload);
    // At the cap, wait; a lone record larger than the cap still goes when nothing else is pending.
    while (this.backlogBytes() + this.queuedBytes + frame.length > this.capBytes && this.backlogBytes() + this.queuedBytes > 0) {
      if (!this.full) {
        this.full = true;
        this.opts.onEvent?.({ type: 'full', backlogBytes: this.backlogBytes(), capBytes: this.capBytes });
      }
      await new Promise<void>((r) => this.capWaiters.push(r));
      if (this.closed) throw new IngestError('SPOOL_CLOSED', 'the spool closed while a reading waited for space');
    }
    this.queuedBytes += frame.length;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ frame, resolve, reject });
      this.schedule(o.linger === true && this.queuedBytes < LINGER_MAX_BYTES);
    });
  }

  private schedule(linger: boolean): void {
    if (this.flushing) return;
    const delay = this.opts.commitDelayMs ?? 0;
    if (linger && delay > 0) this.lingering.start(delay, () => void this.flush());
    else void this.flush();
  }

  private async flush(): Promise<void> {
    this.lingering.stop();
    if (this.flushing) return;
    this.flushing = true;
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      const bytes = batch.reduce((n, p) => n + p.frame.length, 0);
      try {
        if (this.activeSize > 0 && this.activeSize + bytes > this.segmentBytes) await this.roll();
        // O_DSYNC: each write is durable when it returns (no separate fdatasync).
        await this.writeAll(batch.map((p) => p.frame), bytes);
        this.activeSize += bytes;
        this.sizes.set(this.active, this.activeSize);
        this.counters.fsyncs++;
        this.counters.appends += batch.length;
        this.counters.bytes += bytes;
        this.queuedBytes -= bytes;
        if (this.writeError) this.event({ type: 'write-recovered', failures: this.failuresInRow });
        this.writeError = null;
        this.failuresInRow = 0;
        for (const p of batch) p.resolve();
        this.emit('durable');
      } catch (cause) {
        // Cut off what this batch wrote before anything else, so that no partial record stays behind.
        const rolledBack = await this.rollBack();
        this.counters.writeFailures++;
        this.queuedBytes -= bytes;
        const message = `spool write failed: ${(cause as Error).message}`;
        // The first failure of a run is reported; the rest are counted until a write succeeds again.
        if (!this.writeError || !rolledBack) this.event({ type: 'write-failed', seg: this.active, off: this.activeSize, error: message, rolledBack });
        this.writeError = (cause as Error).message;
        this.failuresInRow++;
        const err = new IngestError('SPOOL_IO', message, { cause });
        for (const p of batch) p.reject(err);
      }
    }
    this.flushing = false;
  }

  private async writeAll(bufs: Buffer[], bytes: number): Promise<void> {
    let left = bytes;
    while (left > 0) {
      const { bytesWritten } = await this.fh.writev(bufs);
      left -= bytesWritten;
      if (left > 0) bufs = [Buffer.concat(bufs).subarray(bytesWritten)];
    }
  }

  /**
   * Truncates the active segment back to its last durable record. When even that fails, later appends go
   * to a new segment: reads never pass the durable size, and recovery cuts off the torn tail in any segment.
   */
  private async rollBack(): Promise<boolean> {
    try {
      await this.fh.truncate(this.activeSize);
      await this.fh.datasync();
      return true;
    } catch {
      try { await this.roll(); } catch { /* the next append reports the failure again */ }
      return false;
    }
  }

  /** Starts the next segment; the current one stays active if the new one cannot be opened. */
  private async roll(): Promise<void> {
    const next = this.active + 1;
    const fh = await open(join(this.dir, segName(next)), APPEND_DSYNC, 0o666);
    const old = this.fh;
    this.fh = fh;
    this.active = next;
    this.activeSize = 0;
    this.sizes.set(next, 0);
    await old.close().catch(() => undefined);
    await this.syncDir().catch(() => undefined);
  }

  /** Where durable data ends (the next append goes here). */
  durableEnd(): Position {
    return { seg: this.active, off: this.activeSize };
  }

  /** The consumer's committed position. */
  cursor(): Position {
    return { ...this.cur };
  }

  /** Bytes appended but not yet committed by the consumer. */
  backlogBytes(): number {
    let n = 0;
    for (const [seg, size] of this.sizes) if (seg >= this.cur.seg) n += size;
    return Math.max(0, n - this.cur.off);
  }

  /**
   * Readiness: not ok at the cap or while appends fail (until one succeeds again); the detail gives the
   * backlog and what went wrong since open (corrupt records skipped, failed writes, a repaired cursor).
   */
  health(): { ok: boolean; detail: string } {
    const c = this.counters;
    const faults = [
      c.corruptFrames && `${c.corruptFrames} corrupt record(s) skipped`,
      c.writeFailures && `${c.writeFailures} failed write(s) cut back`,
      c.cursorRepairs && 'cursor repaired on open',
    ].filter(Boolean);
    const now = this.writeError ? `appends fail: ${this.writeError}; ` : this.full ? 'at its cap; ' : '';
    const detail = `${now}${this.backlogBytes()} bytes waiting${faults.length ? `; since start: ${faults.join(', ')} (see the log)` : ''}`;
    return { ok: !this.full && !this.writeError, detail };
  }

  /** True while appends are held back at the cap. */
  isFull(): boolean {
    return this.full;
  }

  /** Reads from the segment the consumer is in, through a handle kept open until it moves on. */
  private async readRange(seg: number, off: number, len: number): Promise<Buffer> {
    if (this.reader?.seg !== seg) {
      await this.closeReader();
      this.reader = { seg, fh: await open(join(this.dir, segName(seg)), 'r') };
    }
    const buf = Buffer.allocUnsafe(len);
    const { bytesRead } = await this.reader.fh.read(buf, 0, len, off);
    return buf.subarray(0, bytesRead);
  }

  private async closeReader(): Promise<void> {
    const r = this.reader;
    this.reader = null;
    await r?.fh.close().catch(() => undefined);
  }

  /**
   * Reads complete durable records from `from`, about `maxBytes` of them (at least one). Returns each
   * record's payload and the position after it; a corrupt record comes back alone with an empty payload,
   * and the position after it is that of the next good record.
   */
  async read(from: Position, maxBytes = 4 * 1024 * 1024): Promise<Array<{ payload: Buffer; next: Position }>> {
    let pos = { ...from };
    // Skip past segments that are complete and fully read.
    while (pos.seg < this.active && pos.off >= (this.sizes.get(pos.seg) ?? 0)) pos = { seg: pos.seg + 1, off: 0 };
    const end = this.sizes.get(pos.seg) ?? 0;
    if (pos.off >= end) return [];
    const skips = this.skips.get(pos.seg);
    const skipTo = skips?.get(pos.off);
    if (skipTo !== undefined) return [{ payload: SKIPPED, next: { seg: pos.seg, off: skipTo } }];
    const buf = await this.readRange(pos.seg, pos.off, Math.min(end - pos.off, maxBytes));
    const out: Array<{ payload: Buffer; next: Position }> = [];
    for (let off = 0; off < buf.length && !skips?.has(pos.off + off);) {
      const f = decodeFrame(buf, off);
      if (!f.ok) break;
      out.push({ payload: f.payload, next: { seg: pos.seg, off: pos.off + f.next } });
      off = f.next;
    }
    if (out.length > 0) return out;
    // The first record does not decode in `buf`: it is larger than `maxBytes`, or corrupt.
    const whole = buf.length >= HEADER_BYTES;
    const len = whole ? buf.readUInt32LE(0) : 0;
    if (len <= MAX_RECORD_BYTES && pos.off + HEADER_BYTES + len <= end && HEADER_BYTES + len > buf.length) {
      const f = decodeFrame(await this.readRange(pos.seg, pos.off, HEADER_BYTES + len), 0);
      if (f.ok) return [{ payload: f.payload, next: { seg: pos.seg, off: pos.off + HEADER_BYTES + len } }];
    }
    return [await this.skipCorrupt(pos, end, whole && (len > MAX_RECORD_BYTES || pos.off + HEADER_BYTES + len <= end))];
  }

  /**
   * Steps over a record that does not decode (`corrupt`, else one that runs past the end of its segment)
   * to the next good one, and notes it as recovery does: a record that runs past the end with nothing
   * good after it is a torn write, cut off by a crash or a failed write (never acknowledged).
   */
  private async skipCorrupt(pos: Position, end: number, corrupt: boolean): Promise<{ payload: Buffer; next: Position }> {
    const rest = await this.readRange(pos.seg, pos.off, end - pos.off);
    const next = pos.off + nextValidFrame(rest, 0);
    const skips = this.skips.get(pos.seg) ?? new Map<number, number>();
    skips.set(pos.off, next);
    this.skips.set(pos.seg, skips);
    if (!corrupt && next >= end) {
      this.event({ type: 'torn-tail', seg: pos.seg, off: pos.off, droppedBytes: end - pos.off });
    } else {
      this.counters.corruptFrames++;
      this.event({ type: 'corrupt', seg: pos.seg, off: pos.off, skippedBytes: next - pos.off });
    }
    return { payload: SKIPPED, next: { seg: pos.seg, off: next } };
  }

  /**
   * Records that the consumer has stored everything before `pos`. The cursor goes to disk when the last write
   * is `cursorSyncMs` old or a segment can be freed (`force` writes it now); consumed segments are freed only
   * once a cursor past them is on disk.
   */
  async commit(pos: Position, force = false): Promise<void> {
    const due = force || pos.seg > this.synced.seg || Date.now() - this.syncedAt >= (this.opts.cursorSyncMs ?? 5_000);
    if (due) await this.writeCursor(pos);
    this.cur = { ...pos };
    if (due) await this.freeConsumed(pos);
    if (this.full && this.backlogBytes() + this.queuedBytes < this.capBytes * 0.9) {
      this.full = false;
      this.opts.onEvent?.({ type: 'drained', backlogBytes: this.backlogBytes() });
    }
    const waiters = this.capWaiters;
    this.capWaiters = [];
    for (const w of waiters) w();
  }

  private async writeCursor(pos: Position): Promise<void> {
    await writeCursorFile(this.dir, pos);
    this.synced = { ...pos };
    this.syncedAt = Date.now();
  }

  private async freeConsumed(pos: Position): Promise<void> {
    for (const seg of [...this.sizes.keys()]) {
      if (seg < pos.seg && seg !== this.active) {
        if (this.reader?.seg === seg) await this.closeReader();
        this.sizes.delete(seg);
        this.skips.delete(seg);
        await unlink(join(this.dir, segName(seg))).catch(() => undefined);
      }
    }
  }

  /** Waits until pending appends are on disk, then closes. Appends after this fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.lingering.waiting) void this.flush();
    while (this.flushing || this.queue.length) await new Promise((r) => setTimeout(r, 5));
    for (const w of this.capWaiters) w();
    this.capWaiters = [];
    await this.closeReader();
    // A clean stop leaves nothing to replay.
    if (this.cur.seg !== this.synced.seg || this.cur.off !== this.synced.off) await this.writeCursor(this.cur).catch(() => undefined);
    await this.fh.close();
  }
}

