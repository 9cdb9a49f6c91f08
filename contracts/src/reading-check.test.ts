import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Kind, METRICS } from './kinds.js';
import { compileReadingCheck } from './reading-check.js';
import { MAX_EPOCH_MS, MIN_EPOCH_MS, READING_SCHEMAS, validateReading } from './readings.js';

/** A small deterministic generator (mulberry32), so that a failure names a case that can be run again. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NOW = Date.UTC(2026, 11, 7, 8, 30);
/** Values near every bound the schemas hold, and values of every other JSON type. */
const EDGES: unknown[] = [
  0, -0, 1, -1, 0.5, -0.5, 1e-9, 100, 100.5, 250, 250.0001, 251, 20_000, 20_001, 86_400, 86_401, 100_000, 100_000.5,
  100_001, -100_000, -100_001, 1e8, 1e8 + 1, 1e12, 1e12 + 1, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, Infinity, -Infinity, NaN,
  MIN_EPOCH_MS, MIN_EPOCH_MS - 1, MAX_EPOCH_MS, MAX_EPOCH_MS + 1, NOW, NOW + 0.5, NOW / 1000,
  '12', '', 'x', '2026-12-07T08:30:00+02:00', '2026-12-07T08:30:00', true, false, null, [], [1], {}, { a: 1 },
];

function randomReading(next: () => number, kind: Kind): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const value = (good: () => number) => (next() < 0.6 ? good() : pick(EDGES));
  const o: Record<string, unknown> = {};
  if (next() < 0.97) o.ts = value(() => NOW - Math.floor(next() * 86_400_000));
  if (next() < 0.97) o.seq = value(() => Math.floor(next() * 1e6));
  for (const m of METRICS[kind]) if (next() < 0.8) o[m] = value(() => Math.round(next() * 20_000) / (next() < 0.5 ? 1 : 100));
  if (next() < 0.05) o[pick(['speed', 'Speed_kmh', 'clients', 'power_kw', 'extra', 'toString', 'constructor'])] = 1;
  const shape = next();
  if (shape < 0.02) return JSON.parse(`{"__proto__": {"x": 1}, ${JSON.stringify(o).slice(1)}`.replace(', }', '}'));
  if (shape < 0.04) return Object.assign(Object.create(null), o);
  if (shape < 0.06) return Object.assign(Object.create({ inherited: 1 }), o);
  if (shape < 0.07) return [o];
  if (shape < 0.08) return pick(EDGES);
  return o;
}

describe('compiled reading checks', () => {
  it('pass only what zod passes, with the same data, and pass every reading zod passes whose ts is a number', () => {
    const next = rng(20261207);
    let fast = 0;
    let zodOnly = 0;
    for (let i = 0; i < 60_000; i++) {
      const kind = Kind.options[i % 3]!;
      const raw = randomReading(next, kind);
      const check = compileReadingCheck(READING_SCHEMAS[kind], METRICS[kind], { min: MIN_EPOCH_MS, max: MAX_EPOCH_MS });
      const mine = check(raw);
      const theirs = READING_SCHEMAS[kind].safeParse(raw);
      const label = `case ${i} (${kind}): ${JSON.stringify(raw)}`;
      if (mine) {
        expect(theirs.success, label).toBe(true);
        const { ts, seq, ...rest } = theirs.data as Record<string, unknown>;
        const values = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
        expect(mine, label).toStrictEqual({ ts, seq, values });
        expect(Object.keys(mine.values), label).toEqual(METRICS[kind].filter((m) => m in values));
        fast++;
      } else if (theirs.success) {
        // zod alone passes it: only a ts as text (or an object not made by JSON.parse).
        const plain = raw !== null && typeof raw === 'object' && Object.getPrototypeOf(raw) === Object.prototype;
        expect(typeof (raw as { ts?: unknown }).ts === 'string' || !plain, label).toBe(true);
        zodOnly++;
      }
    }
    // The generator reaches both sides.
    expect(fast).toBeGreaterThan(3_000);
    expect(zodOnly).toBeGreaterThan(10);
  });

  it('gives validateReading the same answers, rejections worded by zod', () => {
    const opts = { now: NOW };
    expect(validateReading('traffic', { ts: NOW - 1_000, seq: 1, speed_kmh: 40 }, opts)).toEqual({ ok: true, reading: { ts: NOW - 1_000, seq: 1, values: { speed_kmh: 40 } } });
    expect(validateReading('wifi', { ts: '2026-12-07T10:29:00+02:00', seq: 2, clients: 3 }, opts)).toEqual({ ok: true, reading: { ts: NOW - 60_000, seq: 2, values: { clients: 3 } } });
    const r = validateReading('wifi', { ts: NOW, seq: 2, clients: 3.5 }, opts);
    expect(r).toMatchObject({ ok: false, rejection: { reason: 'schema', field: 'clients' } });
    expect(validateReading('traffic', { ts: NOW, seq: 1, speed_kmh: 251 }, opts)).toMatchObject({ ok: false, rejection: { reason: 'out_of_range', field: 'speed_kmh' } });
    expect(validateReading('traffic', { ts: NOW + 3_600_000, seq: 1, speed_kmh: 1 }, opts)).toMatchObject({ ok: false, rejection: { reason: 'ts_future' } });
  });

  it('refuses to compile a schema with a check it does not know, rather than pass more than zod', () => {
    const bounds = { min: MIN_EPOCH_MS, max: MAX_EPOCH_MS };
    const base = { ts: z.number(), seq: z.number().int() };
    expect(() => compileReadingCheck(z.strictObject({ ...base, v: z.number().multipleOf(5) }), ['v'], bounds)).toThrow(/does not know/);
    expect(() => compileReadingCheck(z.strictObject({ ...base, v: z.number().gt(0) }), ['v'], bounds)).toThrow(/does not know/);
    expect(() => compileReadingCheck(z.strictObject({ ...base, v: z.string() }), ['v'], bounds)).toThrow(/not a number/);
    expect(() => compileReadingCheck(z.object({ ...base, v: z.number() }), ['v'], bounds)).toThrow(/strict/);
    expect(() => compileReadingCheck(z.strictObject({ ...base, v: z.number(), w: z.number() }), ['v'], bounds)).toThrow(/metrics given/);
  });
});
