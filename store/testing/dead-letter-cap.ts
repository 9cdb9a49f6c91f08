import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { capPayload, DEAD_LETTER_PAYLOAD_BYTES, isTruncated } from '../src/dead-letter-payload.js';
import type { DeadLetter, Store } from '../src/types.js';
import { T0, type Cases } from './kit.js';

/**
 * Conformance cases for the dead-letter payload cap, run inside the suite's `dead letters` block: every
 * adapter stores at most `DEAD_LETTER_PAYLOAD_BYTES` of a payload, with its full size and SHA-256.
 */
const letter = (received: number, payload: string, over: Partial<DeadLetter> = {}): DeadLetter =>
  ({ received, device: 'd1', topic: 'city/traffic/d1/telemetry', reason: 'schema', message: 'm', payload, ...over });

export const deadLetterCapCases: Cases = {
  'keeps the first 8 KiB of a payload with its full size and SHA-256, and lists 1,000 big letters': async (ctx) => {
    const store = (): Store => ctx.store;
    const t0 = T0;
    // 'é' is two bytes: a cut that would split one backs off to a whole character.
    const big = `x${'é'.repeat(300_000)}`;
    const small = '{"ts":1e309}';
    const ingestCapped = { ...capPayload('y'.repeat(50_000)) };
    await store().writeDeadLetters([letter(t0, big), letter(t0 + 1, small), letter(t0 + 2, ingestCapped.payload, { size: ingestCapped.size, sha256: ingestCapped.sha256 })]);
    const [kept, whole, capped] = await store().listDeadLetters({ limit: 3 });
    expect(kept).toMatchObject({ size: 50_000, sha256: createHash('sha256').update('y'.repeat(50_000)).digest('hex') });
    expect(kept!.payload).toBe('y'.repeat(DEAD_LETTER_PAYLOAD_BYTES));
    expect(whole).toMatchObject({ payload: small, size: small.length, sha256: createHash('sha256').update(small).digest('hex') });
    expect(isTruncated(whole!)).toBe(false);
    expect(capped!.size).toBe(Buffer.byteLength(big));
    expect(capped!.sha256).toBe(createHash('sha256').update(big).digest('hex'));
    expect(Buffer.byteLength(capped!.payload)).toBe(DEAD_LETTER_PAYLOAD_BYTES - 1);
    expect(big.startsWith(capped!.payload)).toBe(true);
    expect(isTruncated(capped!)).toBe(true);
    await store().writeDeadLetters(Array.from({ length: 1_000 }, (_, i) => letter(t0 + 10 + i, 'z'.repeat(20_000))));
    const listed = await store().listDeadLetters({ limit: 1_000 });
    expect(listed).toHaveLength(1_000);
    expect(listed.every((l) => Buffer.byteLength(l.payload) <= DEAD_LETTER_PAYLOAD_BYTES)).toBe(true);
  },
};
