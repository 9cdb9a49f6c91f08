import type { Kind } from '@cityhub/contracts';
import type { DeadLetter, Point, RecordsWritten, Store } from './types.js';

/**
 * What one record of ingest's spool holds: the accepted points and the dead letters of one MQTT message. The
 * store knows its form so that a store on a thread of its own (worker/) decodes a round there: the thread that
 * acknowledges readings then neither parses the records nor copies their points across.
 */
export interface SpoolRecord { points: Point[]; dead: DeadLetter[] }

type PointTuple = [Kind, string, string, number, number, Record<string, number>];

/** Compact JSON: points as tuples, so a reading costs little more on disk than on the wire. */
export function encodeRecord(r: SpoolRecord): Buffer {
  const p: PointTuple[] = r.points.map((x) => [x.kind, x.asset, x.device, x.ts, x.seq, x.values]);
  return Buffer.from(JSON.stringify(r.dead.length ? { p, d: r.dead } : { p }));
}

export function decodeRecord(buf: Uint8Array): SpoolRecord {
  if (buf.length === 0) return { points: [], dead: [] };
  const o = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8')) as { p: PointTuple[]; d?: DeadLetter[] };
  return {
    points: o.p.map(([kind, asset, device, ts, seq, values]) => ({ kind, asset, device, ts, seq, values })),
    dead: o.d ?? [],
  };
}

/**
 * Decodes a round of spool records and writes their points, `batchPoints` a call (a transaction each), then their
 * dead letters. A record that does not decode is skipped and reported. A failed call leaves the calls before it
 * done; writing the round again is safe, since a point's key is its series and device time.
 */
export async function writeRecords(store: Pick<Store, 'write' | 'writeDeadLetters'>, records: readonly Uint8Array[], batchPoints: number): Promise<RecordsWritten> {
  const points: Point[] = [];
  const dead: DeadLetter[] = [];
  const bad: RecordsWritten['bad'] = [];
  records.forEach((r, index) => {
    try {
      const rec = decodeRecord(r);
      for (const p of rec.points) points.push(p);
      for (const d of rec.dead) dead.push(d);
    } catch (err) {
      bad.push({ index, error: (err as Error).message });
    }
  });
  let transactions = 0;
  for (let i = 0; i < points.length; i += batchPoints) {
    await store.write(points.slice(i, i + batchPoints));
    transactions++;
  }
  if (dead.length) await store.writeDeadLetters(dead);
  return { points: points.length, deadLetters: dead.length, transactions, bad };
}
