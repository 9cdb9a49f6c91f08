import { mkdir, open, readdir, readFile, rename, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { scanFrames } from './frame.js';

/** A place in the spool: segment number and byte offset in it. */
export interface Position { seg: number; off: number }

/** Writes the consumer's cursor durably: a temporary file made durable, then renamed over `cursor.json`. */
export async function writeCursorFile(dir: string, pos: Position): Promise<void> {
  const tmp = join(dir, 'cursor.json.tmp');
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(JSON.stringify(pos));
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, 'cursor.json'));
}

export type SpoolEvent =
  | { type: 'full'; backlogBytes: number; capBytes: number }
  | { type: 'drained'; backlogBytes: number }
  /** Bytes at the end of a segment that never became a whole record (a crash or failed write): dropped. */
  | { type: 'torn-tail'; seg: number; off: number; droppedBytes: number }
  /** A record that fails its checksum: skipped (`skippedBytes` up to the next good record) and counted. */
  | { type: 'corrupt'; seg: number; off: number; skippedBytes: number }
  /** The committed cursor did not point at a record boundary inside the data: moved to `to`. */
  | { type: 'cursor-repaired'; from: Position; to: Position; why: string }
  /** An append failed (a full disk, an I/O error): what it wrote was cut off, its readings not acknowledged. */
  | { type: 'write-failed'; seg: number; off: number; error: string; rolledBack: boolean }
  /** Appends succeed again after `failures` failed writes in a row. */
  | { type: 'write-recovered'; failures: number };

export const SEGMENT_RE = /^seg-(\d{12})\.log$/;
export const segName = (n: number) => `seg-${String(n).padStart(12, '0')}.log`;

/** The spool's state as recovery found it on disk. */
export interface Recovered {
  /** Segment number → readable bytes, ascending. */
  sizes: Map<number, number>;
  /** Segment number → corrupt record offset → offset of the next good record. */
  skips: Map<number, Map<number, number>>;
  /** The cursor, repaired if it pointed past the data or inside a record. */
  cursor: Position;
  cursorRepaired: boolean;
  corruptFrames: number;
}

async function readCursor(dir: string): Promise<Position | undefined> {
  try {
    const c = JSON.parse(await readFile(join(dir, 'cursor.json'), 'utf8')) as Position;
    return Number.isSafeInteger(c.seg) && Number.isSafeInteger(c.off) && c.seg >= 0 && c.off >= 0 ? c : undefined;
  } catch {
    return undefined;
  }
}

/** Where the cursor must be, given the segments on disk; `why` is set when it had to move. */
function placeCursor(segs: number[], cursor: Position | undefined): { pos: Position; why?: string } {
  if (segs.length === 0) {
    const pos = { seg: cursor?.seg ?? 1, off: 0 };
    return cursor && cursor.off !== 0 ? { pos, why: `the cursor is ${cursor.off} bytes into segment ${cursor.seg}, which does not exist` } : { pos };
  }
  const first = segs[0]!;
  const last = segs[segs.length - 1]!;
  if (!cursor) return { pos: { seg: first, off: 0 } };
  if (cursor.seg > last) return { pos: { seg: first, off: 0 }, why: `the cursor is in segment ${cursor.seg}, past the last one (${last}): every record is written again` };
  if (cursor.seg < first) return { pos: { seg: first, off: 0 }, why: `the cursor is in segment ${cursor.seg}, before the first one (${first})` };
  if (!segs.includes(cursor.seg)) return { pos: { seg: segs.find((s) => s > cursor.seg)!, off: 0 }, why: `segment ${cursor.seg} of the cursor is missing` };
  return { pos: cursor };
}

/**
 * Reads the cursor's segment and the last one of the spool in `dir`: a torn or unreadable tail is cut off
 * (it can only be what a crash or a failed write left), a corrupt record inside the data is noted to be
 * skipped, and the cursor is brought to a record boundary inside the data. The segments between are
 * checked the same way when they are read.
 */
export async function recoverSpool(dir: string, onEvent: (e: SpoolEvent) => void): Promise<Recovered> {
  await mkdir(dir, { recursive: true });
  const segs = (await readdir(dir))
    .map((f) => SEGMENT_RE.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  const saved = await readCursor(dir);
  const placed = placeCursor(segs, saved);
  let cursor = placed.pos;
  let why = placed.why;
  const out: Recovered = { sizes: new Map(), skips: new Map(), cursor, cursorRepaired: false, corruptFrames: 0 };
  for (const seg of segs) {
    const path = join(dir, segName(seg));
    if (seg !== cursor.seg && seg !== segs[segs.length - 1]) {
      // Segments between are checked as the writer reads them (Spool.read): opening stays quick.
      out.sizes.set(seg, (await stat(path)).size);
      continue;
    }
    const buf = await readFile(path);
    const scan = scanFrames(buf, seg === cursor.seg ? cursor.off : 0);
    if (scan.skips.length) out.skips.set(seg, new Map(scan.skips.map((s) => [s.off, s.next])));
    for (const s of scan.skips) onEvent({ type: 'corrupt', seg, off: s.off, skippedBytes: s.next - s.off });
    out.corruptFrames += scan.skips.length;
    if (scan.end < buf.length) {
      await truncate(path, scan.end);
      if (scan.tail === 'short') onEvent({ type: 'torn-tail', seg, off: scan.end, droppedBytes: buf.length - scan.end });
      else {
        out.corruptFrames++;
        onEvent({ type: 'corrupt', seg, off: scan.end, skippedBytes: buf.length - scan.end });
      }
    }
    out.sizes.set(seg, scan.end);
    if (seg === cursor.seg && scan.boundary !== cursor.off) {
      why ??= cursor.off > scan.end
        ? `the cursor is at byte ${cursor.off} of segment ${seg}, past its data (${scan.end} bytes)`
        : `the cursor is at byte ${cursor.off} of segment ${seg}, inside a record`;
      cursor = { seg, off: scan.boundary };
    }
  }
  if (why) {
    onEvent({ type: 'cursor-repaired', from: saved ?? { seg: 0, off: 0 }, to: cursor, why });
    out.cursorRepaired = true;
  }
  out.cursor = cursor;
  return out;
}
