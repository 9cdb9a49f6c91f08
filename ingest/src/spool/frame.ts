import { crc32 } from 'node:zlib';

/**
 * A spool record on disk: `u32le length | u32le crc32(payload) | payload`. The checksum tells a torn write
 * at the tail (a crash during append, never acknowledged) from a complete record.
 */
export const HEADER_BYTES = 8;
/** Larger records are refused: one MQTT message is bounded well below this. */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

export function encodeFrame(payload: Buffer): Buffer {
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt32LE(payload.length, 0);
  header.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([header, payload]);
}

export type FrameScan =
  | { ok: true; payload: Buffer; next: number }
  | { ok: false; why: 'short' | 'crc' | 'length' };

/** Reads the frame at `off` in `buf`. `short` means the buffer ends inside the frame. */
export function decodeFrame(buf: Buffer, off: number): FrameScan {
  if (buf.length - off < HEADER_BYTES) return { ok: false, why: 'short' };
  const len = buf.readUInt32LE(off);
  if (len > MAX_RECORD_BYTES) return { ok: false, why: 'length' };
  const end = off + HEADER_BYTES + len;
  if (end > buf.length) return { ok: false, why: 'short' };
  const payload = buf.subarray(off + HEADER_BYTES, end);
  if (crc32(payload) !== buf.readUInt32LE(off + 4)) return { ok: false, why: 'crc' };
  return { ok: true, payload, next: end };
}

/**
 * The offset of the first frame after the bad one at `off` that decodes, holds a payload, and is followed
 * by another such frame, a torn tail or the end of `buf`; `buf.length` when there is none. It tries the
 * bad frame's own length first (a flipped bit in the payload or checksum leaves the length right: what
 * follows is then a whole frame, good or itself corrupt), then every later byte (a flipped bit in the
 * length; a payload is JSON text, whose bytes never read as a plausible length).
 */
export function nextValidFrame(buf: Buffer, off: number): number {
  const sound = (at: number): boolean => {
    const f = decodeFrame(buf, at);
    if (!f.ok || f.payload.length === 0) return false;
    if (f.next === buf.length) return true;
    const after = decodeFrame(buf, f.next);
    return after.ok || after.why === 'short';
  };
  if (buf.length - off >= HEADER_BYTES) {
    const byLength = off + HEADER_BYTES + buf.readUInt32LE(off);
    if (byLength === buf.length) return byLength;
    const then = byLength < buf.length ? decodeFrame(buf, byLength) : undefined;
    if (then && (sound(byLength) || (!then.ok && then.why === 'crc'))) return byLength;
  }
  for (let at = off + 1; at + HEADER_BYTES < buf.length; at++) if (sound(at)) return at;
  return buf.length;
}

/** What a scan of one segment found. */
export interface SegmentScan {
  /** Where its readable data ends: the bytes after are a torn write (or an unreadable last record). */
  end: number;
  /** Why the tail after `end` did not decode (when there is one). */
  tail: 'short' | 'crc' | 'length' | null;
  /** Corrupt records inside the data: where each starts and where the next good record starts. */
  skips: Array<{ off: number; next: number }>;
  /** The last record boundary at or before `at` (to repair a cursor that points inside a record). */
  boundary: number;
}

/** Walks every record of a segment, stepping over corrupt ones as `nextValidFrame` finds them. */
export function scanFrames(buf: Buffer, at = 0): SegmentScan {
  const skips: SegmentScan['skips'] = [];
  let off = 0;
  let boundary = 0;
  let tail: SegmentScan['tail'] = null;
  while (off < buf.length) {
    if (off <= at) boundary = off;
    const f = decodeFrame(buf, off);
    if (f.ok) {
      off = f.next;
      continue;
    }
    const next = nextValidFrame(buf, off);
    if (next >= buf.length) {
      tail = f.why;
      break;
    }
    skips.push({ off, next });
    off = next;
  }
  if (off <= at) boundary = off;
  return { end: off, tail, skips, boundary };
}
