import type { Kind } from '@cityhub/contracts';
import type { DeadLetter, Point } from '@cityhub/store';

/** What one spool record holds: the accepted points and the dead letters of one MQTT message. */
export interface SpoolRecord { points: Point[]; dead: DeadLetter[] }

type PointTuple = [Kind, string, string, number, number, Record<string, number>];

/** Compact JSON: points as tuples, so a reading costs little more on disk than on the wire. */
export function encodeRecord(r: SpoolRecord): Buffer {
  const p: PointTuple[] = r.points.map((x) => [x.kind, x.asset, x.device, x.ts, x.seq, x.values]);
  return Buffer.from(JSON.stringify(r.dead.length ? { p, d: r.dead } : { p }));
}

export function decodeRecord(buf: Buffer): SpoolRecord {
  if (buf.length === 0) return { points: [], dead: [] };
  const o = JSON.parse(buf.toString('utf8')) as { p: PointTuple[]; d?: DeadLetter[] };
  return {
    points: o.p.map(([kind, asset, device, ts, seq, values]) => ({ kind, asset, device, ts, seq, values })),
    dead: o.d ?? [],
  };
}
