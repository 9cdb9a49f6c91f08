import { DEFAULT_MAX_AGE_MS, MAX_READINGS_PER_MESSAGE, type AssetFeature } from '@cityhub/contracts';
import { mapLimit } from '@cityhub/devices';
import type { FleetModels } from './fleet-models.js';
import { makeReading, type SimReading } from './make-reading.js';
import type { SimDeviceState } from './sim-state.js';

/** Options of a backfill: history published before live readings start. */
export interface BackfillOptions {
  /** How far back, in days (fractions allowed). */
  days: number;
  /** Time between two readings of a device in the backfill (ms), e.g. 300,000 for 5 minutes. */
  stepMs: number;
  /** Messages in flight (published, not yet acknowledged) across the whole fleet (default 8). */
  maxInflight?: number;
  /** Readings per message (default and most: 5,000, the contract's limit). */
  chunk?: number;
  /**
   * The history goes out in time slices of this length (ms, default one day, rounded to whole steps): every
   * device's readings of one slice before any of the next, as the readings would have arrived live. The
   * store then gets batches that span a slice instead of weeks, which its rollups refresh much faster.
   */
  sliceMs?: number;
  /**
   * The hub's raw retention (ms, default 30 days): it refuses older readings, so the backfill starts no
   * earlier than this less a 15-minute margin for the time the backfill itself takes.
   */
  maxAgeMs?: number;
}

/** What a backfill did. */
export interface BackfillReport {
  /** Devices that sent history, and those skipped because they did not connect within a minute. */
  devices: number;
  skipped: number;
  /** Readings and messages acknowledged by the broker. */
  readings: number;
  messages: number;
  /** The earliest and latest reading time sent (epoch ms; 0 if nothing was sent). */
  from: number;
  to: number;
  /** Wall time of the whole backfill (ms). */
  ms: number;
}

/** A device a backfill publishes for: where it is, what it keeps and how it publishes an array. */
export interface BackfillMember {
  asset: AssetFeature;
  state: SimDeviceState;
  waitConnected(timeoutMs: number): Promise<boolean>;
  publishBatch(readings: SimReading[]): Promise<void>;
}

const RETENTION_MARGIN_MS = 15 * 60_000;
const CONNECT_WAIT_MS = 60_000;

/**
 * The first reading time of a device's backfill ending at `now`: `days` back, no earlier than the retention
 * allows, on the `stepMs` grid and after the device's last reading (a backfill never rewrites history, so
 * sequence numbers and meter counters keep growing with time).
 */
export function backfillStart(state: SimDeviceState, now: number, o: BackfillOptions): number {
  const oldest = Math.max(now - o.days * 86_400_000, now - (o.maxAgeMs ?? DEFAULT_MAX_AGE_MS) + RETENTION_MARGIN_MS);
  let first = Math.ceil(oldest / o.stepMs) * o.stepMs;
  if (state.last_ts !== undefined) first = Math.max(first, (Math.floor(state.last_ts / o.stepMs) + 1) * o.stepMs);
  return first;
}

/**
 * A device's readings on the grid `from, from + stepMs, …` before `to`, in arrays of at most `chunk`, made
 * lazily (one array in memory at a time) at the models' values for those past instants. Takes sequence
 * numbers and advances the meter counter in `state` as live readings do.
 */
export function* backfillReadings(asset: AssetFeature, state: SimDeviceState, from: number, to: number, stepMs: number,
  chunk = MAX_READINGS_PER_MESSAGE, models?: FleetModels): Generator<SimReading[]> {
  if (!(stepMs > 0)) throw new RangeError('stepMs must be positive');
  const size = Math.max(1, Math.min(chunk, MAX_READINGS_PER_MESSAGE));
  let batch: SimReading[] = [];
  for (let t = from; t < to; t += stepMs) {
    batch.push(makeReading(asset, state, t, models));
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * Publishes every member's history up to the clock, slice by slice (see `sliceMs`), then catches up once
 * more for the time the first pass took, so that live readings continue where the history ends. A device's
 * arrays go in time order, one at a time; at most `maxInflight` devices publish at once, so at most that
 * many messages are in flight.
 */
export async function runBackfill(members: readonly BackfillMember[], o: BackfillOptions, clock: () => number,
  models?: FleetModels, onProgress?: (readings: number) => void): Promise<BackfillReport> {
  if (!(o.days > 0) || !(o.stepMs >= 1_000)) throw new RangeError('a backfill needs days > 0 and stepMs ≥ 1000');
  const started = performance.now();
  const report: BackfillReport = { devices: 0, skipped: 0, readings: 0, messages: 0, from: 0, to: 0, ms: 0 };
  const skipped = new Set<BackfillMember>();
  const sent = new Set<BackfillMember>();
  const limit = Math.max(1, o.maxInflight ?? 8);
  const chunk = Math.max(1, Math.min(o.chunk ?? MAX_READINGS_PER_MESSAGE, MAX_READINGS_PER_MESSAGE));
  const sliceMs = Math.max(1, Math.round((o.sliceMs ?? 86_400_000) / o.stepMs)) * o.stepMs;

  /** Publishes `m`'s readings in [from, to) (both on its grid). */
  const publish = async (m: BackfillMember, from: number, to: number): Promise<void> => {
    if (from >= to || skipped.has(m)) return;
    if (!(await m.waitConnected(CONNECT_WAIT_MS))) {
      skipped.add(m);
      return;
    }
    for (const batch of backfillReadings(m.asset, m.state, from, to, o.stepMs, chunk, models)) {
      await m.publishBatch(batch);
      report.readings += batch.length;
      report.messages++;
      report.from = report.from === 0 ? batch[0]!.ts : Math.min(report.from, batch[0]!.ts);
      report.to = Math.max(report.to, batch.at(-1)!.ts);
      sent.add(m);
      onProgress?.(report.readings);
    }
  };

  const pass = async (): Promise<void> => {
    const now = clock();
    const starts = new Map(members.map((m) => [m, backfillStart(m.state, now, o)]));
    const first = Math.min(...starts.values());
    if (!(first < now)) return;
    for (let slice = Math.floor(first / sliceMs) * sliceMs; slice < now; slice += sliceMs) {
      const end = Math.min(slice + sliceMs, now);
      await mapLimit(members, limit, (m) => publish(m, Math.max(starts.get(m)!, slice), end));
    }
  };
  await pass();
  // The readings due while the first pass ran (usually one step's worth, or none).
  await pass();
  report.devices = sent.size;
  report.skipped = skipped.size;
  report.ms = performance.now() - started;
  return report;
}
