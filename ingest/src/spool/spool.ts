import { EventEmitter } from 'node:events';
import { mkdir, open, readdir, readFile, rename, stat, truncate, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { IngestError } from '../errors.js';
import { decodeFrame, encodeFrame, MAX_RECORD_BYTES } from './frame.js';

/** A place in the spool: segment number and byte offset in it. */
export interface Position { seg: number; off: number }

export interface SpoolOptions {
  /** A segment is closed and a new one started past this size. */
  segmentBytes?: number;
  /** Unconsumed bytes at which appends wait (the hub stops acknowledging) until the writer catches up. */
  capBytes?: number;
  /** Called when the spool reaches or leaves its cap, and when it drops a torn tail on open. */
  onEvent?: (e: SpoolEvent) => void;
}
export type SpoolEvent =
  | { type: 'full'; backlogBytes: number; capBytes: number }
  | { type: 'drained'; backlogBytes: number }
  | { type: 'torn-tail'; seg: number; droppedBytes: number }
  | { type: 'corrupt'; seg: number; off: number };

interface Pending { frame: Buffer; resolve: () => void; reject: (e: Error) => void }

const SEGMENT_RE = /^seg-(\d{12})\.log$/;
const segName = (n: number) => `seg-${String(n).padStart(12, '0')}.log`;

/**
 * An append-only, checksummed log on disk with group commit: appends that arrive while a write is in
 * flight share the next `writev` + `fdatasync`, and each append resolves only after the fsync that covers
 * it. That is what lets the broker send a PUBACK only for readings that are on disk without paying one
 * fsync per message. A single consumer reads from its durable cursor and commits what the store confirmed.
 */
export class Spool extends EventEmitter<{ durable: [] }> {
  private fh!: FileHandle;
  private active = 0;
  private activeSize = 0;
  private readonly sizes = new Map<number, number>();
  private queue: Pending[] = [];
  private flushing = false;
  private closed = false;
  private cur: Position = { seg: 0, off: 0 };
  private full = false;
  private capWaiters: Array<() => void> = [];
  private queuedBytes = 0;
  private readonly segmentBytes: number;
  private readonly capBytes: number;
  /** Totals since open, for metrics. */
  readonly counters = { appends: 0, fsyncs: 0, bytes: 0 };

  private constructor(readonly dir: string, private readonly opts: SpoolOptions) {
    super();
    this.segmentBytes = opts.segmentBytes ?? 64 * 1024 * 1024;
    this.capBytes = opts.capBytes ?? 1024 * 1024 * 1024;
  }

  /** Opens (or creates) the spool in `dir`, dropping a torn tail left by a crash. */
  static async open(dir: string, opts: SpoolOptions = {}): Promise<Spool> {
    const s = new Spool(dir, opts);
    await s.recover();
    return s;
  }

  private async recover(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const segs = (await readdir(this.dir))
      .map((f) => SEGMENT_RE.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    for (const n of segs) this.sizes.set(n, (await stat(join(this.dir, segName(n)))).size);
    const cursor = await this.readCursor();
    if (segs.length === 0) {
      this.active = cursor?.seg ?? 1;
      this.cur = cursor ?? { seg: this.active, off: 0 };
      await this.openActive(true);
      return;
    }
    this.active = segs[segs.length - 1]!;
    this.cur = cursor ?? { seg: segs[0]!, off: 0 };
    // Only the last segment can end in a torn write: find its last complete record.
    const path = join(this.dir, segName(this.active));
    const buf = await readFile(path);
    let off = 0;
    for (;;) {
      const f = decodeFrame(buf, off);
      if (!f.ok) break;
      off = f.next;
    }
    if (off < buf.length) {
      await truncate(path, off);
      this.opts.onEvent?.({ type: 'torn-tail', seg: this.active, droppedBytes: buf.length - off });
    }
    this.sizes.set(this.active, off);
    await this.openActive(false);
  }

  private async openActive(created: boolean): Promise<void> {
    this.fh = await open(join(this.dir, segName(this.active)), 'a');
    this.activeSize = this.sizes.get(this.active) ?? 0;
    this.sizes.set(this.active, this.activeSize);
    if (created) await this.syncDir();
  }

  private async syncDir(): Promise<void> {
    const d = await open(this.dir, 'r');
    try { await d.sync(); } finally { await d.close(); }
  }

  private async readCursor(): Promise<Position | undefined> {
    try {
      const c = JSON.parse(await readFile(join(this.dir, 'cursor.json'), 'utf8')) as Position;
      return Number.isInteger(c.seg) && Number.isInteger(c.off) ? c : undefined;
    } catch {
      return undefined;
    }
  }

  /** Appends one record; resolves once it is on disk (after the fsync that covers it). */
  async append(payload: Buffer): Promise<void> {
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
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      const bytes = batch.reduce((n, p) => n + p.frame.length, 0);
      try {
        if (this.activeSize > 0 && this.activeSize + bytes > this.segmentBytes) await this.roll();
        let bufs = batch.map((p) => p.frame);
        let left = bytes;
        while (left > 0) {
          const { bytesWritten } = await this.fh.writev(bufs);
          left -= bytesWritten;
          if (left > 0) bufs = [Buffer.concat(bufs).subarray(bytesWritten)];
        }
        await this.fh.datasync();
        this.activeSize += bytes;
        this.sizes.set(this.active, this.activeSize);
        this.counters.fsyncs++;
        this.counters.appends += batch.length;
        this.counters.bytes += bytes;
        this.queuedBytes -= bytes;
        for (const p of batch) p.resolve();
        this.emit('durable');
      } catch (cause) {
        this.queuedBytes -= bytes;
        const err = new IngestError('SPOOL_IO', `spool write failed: ${(cause as Error).message}`, { cause });
        for (const p of batch) p.reject(err);
        // The segment may now end in a partial record: start a fresh one so later appends stay readable.
        try { await this.roll(); } catch { /* the next append reports the failure again */ }
      }
    }
    this.flushing = false;
  }

  private async roll(): Promise<void> {
    await this.fh.close();
    this.active++;
    this.sizes.set(this.active, 0);
    await this.openActive(true);
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
    return n - this.cur.off;
  }

  /** True while appends are held back at the cap. */
  isFull(): boolean {
    return this.full;
  }

  /**
   * Reads complete durable records from `from`, about `maxBytes` of them (at least one). Returns each
   * record's payload and the position after it.
   */
  async read(from: Position, maxBytes = 4 * 1024 * 1024): Promise<Array<{ payload: Buffer; next: Position }>> {
    let pos = { ...from };
    // Skip past segments that are complete and fully read.
    while (pos.seg < this.active && pos.off >= (this.sizes.get(pos.seg) ?? 0)) pos = { seg: pos.seg + 1, off: 0 };
    const end = this.sizes.get(pos.seg) ?? 0;
    if (pos.off >= end) return [];
    const fh = await open(join(this.dir, segName(pos.seg)), 'r');
    try {
      let want = Math.min(end - pos.off, maxBytes);
      let buf = Buffer.allocUnsafe(want);
      let { bytesRead } = await fh.read(buf, 0, want, pos.off);
      buf = buf.subarray(0, bytesRead);
      const out: Array<{ payload: Buffer; next: Position }> = [];
      let off = 0;
      for (;;) {
        const f = decodeFrame(buf, off);
        if (f.ok) {
          out.push({ payload: f.payload, next: { seg: pos.seg, off: pos.off + f.next } });
          off = f.next;
          continue;
        }
        if (f.why === 'short' && out.length === 0 && pos.off + bytesRead < end) {
          // One record larger than maxBytes: read it whole.
          want = Math.min(end - pos.off, buf.length >= 8 ? buf.readUInt32LE(0) + 8 : maxBytes * 2);
          buf = Buffer.allocUnsafe(want);
          ({ bytesRead } = await fh.read(buf, 0, want, pos.off));
          buf = buf.subarray(0, bytesRead);
          continue;
        }
        if (f.why !== 'short') {
          // A bad record inside durable data: report it and skip the rest of that segment.
          this.opts.onEvent?.({ type: 'corrupt', seg: pos.seg, off: pos.off + off });
          if (pos.seg < this.active) out.push({ payload: Buffer.alloc(0), next: { seg: pos.seg + 1, off: 0 } });
        }
        break;
      }
      return out;
    } finally {
      await fh.close();
    }
  }

  /** Records that the consumer has stored everything before `pos`; frees consumed segments. */
  async commit(pos: Position): Promise<void> {
    const tmp = join(this.dir, 'cursor.json.tmp');
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(JSON.stringify(pos));
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(this.dir, 'cursor.json'));
    this.cur = { ...pos };
    for (const seg of [...this.sizes.keys()]) {
      if (seg < pos.seg && seg !== this.active) {
        this.sizes.delete(seg);
        await unlink(join(this.dir, segName(seg))).catch(() => undefined);
      }
    }
    if (this.full && this.backlogBytes() + this.queuedBytes < this.capBytes * 0.9) {
      this.full = false;
      this.opts.onEvent?.({ type: 'drained', backlogBytes: this.backlogBytes() });
    }
    const waiters = this.capWaiters;
    this.capWaiters = [];
    for (const w of waiters) w();
  }

  /** Waits until pending appends are on disk, then closes. Appends after this fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing || this.queue.length) await new Promise((r) => setTimeout(r, 5));
    for (const w of this.capWaiters) w();
    this.capWaiters = [];
    await this.fh.close();
  }
}

