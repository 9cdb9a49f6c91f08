import { randomUUID } from 'node:crypto';
import { refusalHint, type DeadLetterReason, type Kind, type RefusedReading } from '@cityhub/contracts';
import { capPayload, type DeadLetter, type Point } from '@cityhub/store';

/** What one message yields: its points, the dead letters of what was refused, and what the device is told of it. */
export interface Judged { points: Point[]; dead: DeadLetter[]; refused: RefusedReading[] }

/** Where a refusal happened: the device (the child, for a gateway's reading), the topic its letter keeps, its kind. */
export interface RefusalContext {
  now: number; device: string | null; topic: string; kind: Kind | null;
  /** The gateway the reading came through, named in the letter's message. */
  via?: string;
  maxAgeMs?: number;
}

/** One refusal: its reason and message, the field at fault, and the raw text its dead letter keeps. */
export interface RefusalInput {
  index: number | null; reason: DeadLetterReason; message: string; raw: Buffer | string;
  field?: string | null; seq?: number;
}

/** Records a refusal in `out`: its dead letter, and the feedback the device (or its gateway) receives. */
export function refuse(out: Judged, ctx: RefusalContext, r: RefusalInput): void {
  const message = ctx.via ? `${r.message} (through gateway ${ctx.via})` : r.message;
  out.dead.push(deadLetter(ctx.now, ctx.device, ctx.topic, r.reason, message, r.raw));
  const field = r.field ?? null;
  const seq = r.seq ?? seqOf(r.raw);
  out.refused.push({
    ...(ctx.via && ctx.device && { device: ctx.device }),
    index: r.index, ...(seq !== undefined && { seq }), reason: r.reason, field, message: r.message,
    hint: refusalHint(ctx.kind, r.reason, field, ctx.maxAgeMs === undefined ? {} : { maxAgeMs: ctx.maxAgeMs }),
  });
}

/** The `seq` of a refused reading's text, when it is a JSON object that has one. */
function seqOf(raw: Buffer | string): number | undefined {
  if (typeof raw !== 'string' || raw.length > 8_192 || !raw.startsWith('{')) return undefined;
  try {
    const seq = (JSON.parse(raw) as { seq?: unknown }).seq;
    return typeof seq === 'number' && Number.isFinite(seq) ? seq : undefined;
  } catch {
    return undefined;
  }
}

/** A dead letter of `raw`, its payload capped (`capPayload`: the first 8 KiB, the full size and SHA-256). */
export function deadLetter(now: number, device: string | null, topic: string, reason: DeadLetter['reason'], message: string, raw: Buffer | string): DeadLetter {
  return { id: randomUUID(), received: now, device, topic, reason, message, ...capPayload(raw) };
}
