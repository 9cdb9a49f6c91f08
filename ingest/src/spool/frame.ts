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
