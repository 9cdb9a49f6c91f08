import { createHash } from 'node:crypto';

/**
 * How much of a rejected payload a dead letter keeps: its first 8 KiB (cut at a character boundary), with
 * the whole payload's size and SHA-256, so that one device cannot fill the disk or the API's memory with
 * letters (a 1 MiB packet kept whole, 50 a second, is 3 GB an hour) and the payload can still be
 * recognised. Listings read at most this much of each letter, also of letters stored before the cap.
 */
export const DEAD_LETTER_PAYLOAD_BYTES = 8 * 1024;

/** A payload as a dead letter keeps it. */
export interface CappedPayload { payload: string; size: number; sha256: string }

/** Caps `raw` (bytes or text) for a dead letter: its first `max` bytes as text, the full size and SHA-256. */
export function capPayload(raw: Buffer | string, max = DEAD_LETTER_PAYLOAD_BYTES): CappedPayload {
  const buf = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
  const sha256 = createHash('sha256').update(buf).digest('hex');
  if (buf.length <= max) return { payload: buf.toString('utf8'), size: buf.length, sha256 };
  // Back off to the start of a UTF-8 character, so the cut never leaves half of one.
  let end = max;
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--;
  return { payload: buf.subarray(0, end).toString('utf8'), size: buf.length, sha256 };
}

/** True when the letter's payload is shorter than what was received. */
export const isTruncated = (l: { payload: string; size?: number }): boolean =>
  l.size !== undefined && l.size > Buffer.byteLength(l.payload, 'utf8');

/**
 * A letter as an adapter stores it: its payload at most `DEAD_LETTER_PAYLOAD_BYTES`, with `size` and
 * `sha256`. A letter that has them was capped by its writer (ingest caps before the spool); one that has
 * not is capped here, so no writer can store a payload of any size.
 */
export function cappedLetter<T extends { payload: string; size?: number; sha256?: string }>(r: T): T & { size: number; sha256: string } {
  if (r.size !== undefined && r.sha256 !== undefined) {
    if (Buffer.byteLength(r.payload, 'utf8') <= DEAD_LETTER_PAYLOAD_BYTES) return { ...r, size: r.size, sha256: r.sha256 };
    return { ...r, payload: capPayload(r.payload).payload, size: r.size, sha256: r.sha256 };
  }
  return { ...r, ...capPayload(r.payload) };
}
