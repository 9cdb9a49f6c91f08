/**
 * Seeded noise that is a pure function of (seed, time): the same asset at the same instant always gets
 * the same value, so the models can be unit-tested and a restarted simulator continues the same curves.
 */

/** A 32-bit seed from a string (FNV-1a). */
export function seedOf(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uniform value in [0, 1) from a seed and an integer (any safe integer, e.g. a time bucket). */
export function hash01(seed: number, n: number): number {
  const lo = n >>> 0;
  const hi = Math.floor(n / 4_294_967_296) >>> 0;
  return fmix(fmix(seed ^ lo) ^ Math.imul(hi + 0x9e3779b9, 0x27d4eb2f)) / 4_294_967_296;
}

/** A uniform value in [-1, 1). */
export const signed = (seed: number, n: number): number => hash01(seed, n) * 2 - 1;

/** A value in [lo, hi) drawn once per seed and `salt` (a per-asset parameter). */
export const param = (seed: number, salt: number, lo: number, hi: number): number => lo + (hi - lo) * hash01(seed, salt);

/**
 * Smooth value noise in [-1, 1]: random values at multiples of `periodMs`, cosine-interpolated between,
 * so consecutive readings wander instead of jumping.
 */
export function smooth(seed: number, t: number, periodMs: number): number {
  const x = t / periodMs;
  const k = Math.floor(x);
  const f = x - k;
  const w = 0.5 - 0.5 * Math.cos(Math.PI * f);
  return signed(seed, k) * (1 - w) + signed(seed, k + 1) * w;
}

/** Fast noise in [-1, 1), a new value every second: the scatter of single readings. */
export const jitter = (seed: number, t: number): number => signed(seed ^ 0x5bd1e995, Math.floor(t / 1000));

/** Rounds to `digits` decimals. */
export const round = (v: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

/** Clamps `v` into [lo, hi]. */
export const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
