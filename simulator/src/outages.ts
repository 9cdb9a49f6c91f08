import { hash01 } from './models/noise.js';

/** Options of the simulated network outages. */
export interface OutageOptions {
  /** Chance that a device loses its connection in any one hour (default 0.02; 0 = never). */
  perHour?: number;
  /** Shortest and longest outage (ms; default 2 and 15 minutes). */
  minMs?: number;
  maxMs?: number;
  /** No outage starts within this long of the simulator's start (ms; default 10 minutes): devices just booted. */
  graceMs?: number;
  /** Mixed into the draws: another seed, other outages (default 0). */
  seed?: number;
}

/** An outage: the device is cut off from `start` to `end` (epoch ms, device clock). */
export interface Outage { start: number; end: number }

const HOUR_MS = 3_600_000;
const OUTAGE_SALT = 0x0ff11e;

/**
 * When a device is offline. A device may lose its connection once in any hour of device time, with
 * probability `perHour`, at a uniform instant, for `minMs`–`maxMs`: a pure function of (device seed, hour,
 * options), so outages need no timer of their own and every run of a test sees the same ones.
 */
export function createOutages(opts: OutageOptions = {}, startedAt: number): (deviceSeed: number, t: number) => Outage | null {
  const perHour = opts.perHour ?? 0.02;
  const minMs = opts.minMs ?? 2 * 60_000;
  const maxMs = Math.max(minMs, opts.maxMs ?? 15 * 60_000);
  const grace = opts.graceMs ?? 10 * 60_000;
  const salt = OUTAGE_SALT ^ ((opts.seed ?? 0) >>> 0);
  const lookback = Math.ceil(maxMs / HOUR_MS);
  return (deviceSeed, t) => {
    if (perHour <= 0) return null;
    const s = deviceSeed ^ salt;
    const last = Math.floor(t / HOUR_MS);
    for (let hour = last; hour >= last - lookback; hour--) {
      if (hash01(s, hour * 4) >= perHour) continue;
      const start = hour * HOUR_MS + Math.floor(hash01(s, hour * 4 + 1) * HOUR_MS);
      const end = start + minMs + Math.floor(hash01(s, hour * 4 + 2) * (maxMs - minMs));
      if (start < startedAt + grace) continue;
      if (t >= start && t < end) return { start, end };
    }
    return null;
  };
}
