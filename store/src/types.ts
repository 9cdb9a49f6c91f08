import type { AlertEvent, Agg, DeadLetterReason, Kind, StoredReading } from '@cityhub/contracts';

/** One stored reading: the contracts' `StoredReading` (the same reading the hub relays live). */
export type Point = StoredReading;

/** The latest reading of an asset. */
export type LatestPoint = Omit<StoredReading, 'seq'>;

export interface SeriesQuery {
  assets: string[];
  metric: string;
  /** Inclusive start, epoch ms. */
  from: number;
  /** Exclusive end, epoch ms. */
  to: number;
  /** Bucket width in seconds; absent = raw points. */
  stepS?: number;
  /** Aggregate per bucket (required with stepS). */
  agg?: Agg;
}
/** Points per asset, ascending time; with a step, `ts` is the bucket start. Empty buckets are absent. */
export interface SeriesResult { asset: string; points: Array<[ts: number, value: number]> }

/** A history query answered in columns: always per step, values rounded to `digits` decimals. */
export interface ColumnarQuery extends SeriesQuery {
  stepS: number;
  agg: Agg;
  /** Decimal digits kept (0–9); a value is rounded half away from zero, as DuckDB's `round()` does. */
  digits: number;
}
/**
 * History in columns: one time axis, then per asset (in the order asked) its values on that axis as the
 * text of a JSON array (`[12.3,null,7]`), null in a bucket without a reading. The values come as text so that
 * a store that can build the array itself (DuckDB) hands it over without a value passing through JavaScript.
 */
export interface ColumnarResult {
  /** The start of every bucket of the step that overlaps [from, to), epoch ms, ascending. */
  ts: number[];
  series: Array<{ asset: string; values: string }>;
}

/** A rejected reading, kept with its reason so that it can be listed and replayed. */
export interface DeadLetter {
  id?: string;
  /** When the hub received it, epoch ms. */
  received: number;
  device: string | null;
  topic: string;
  reason: DeadLetterReason;
  message: string;
  /**
   * The rejected payload (or the rejected element of an array), as text: its first
   * `DEAD_LETTER_PAYLOAD_BYTES` bytes (`capPayload`), whole when shorter.
   */
  payload: string;
  /** Bytes of the whole payload as received (absent for letters stored before sizes were kept). */
  size?: number;
  /** SHA-256 of the whole payload as received, hex (absent for letters stored before). */
  sha256?: string;
}
export interface AlertEventQuery { alert?: string; asset?: string; rule?: string; from?: number; to?: number; limit?: number }
export interface DeadLetterQuery { device?: string; reason?: DeadLetterReason; from?: number; to?: number; limit?: number }

/** The stored resolutions: raw points and three rollups. */
export type Resolution = 'raw' | '1m' | '15m' | '1h';
/** Rollup resolutions, finest first, with their bucket width in ms. Each is built from the one before. */
export const ROLLUPS = [
  { name: '1m', ms: 60_000 },
  { name: '15m', ms: 900_000 },
  { name: '1h', ms: 3_600_000 },
] as const satisfies ReadonlyArray<{ name: Exclude<Resolution, 'raw'>; ms: number }>;

/**
 * The rollup a bucketed query can be answered from: the coarsest whose width divides the step and to
 * which the range is aligned; `raw` when none fits.
 */
export function resolutionFor(q: Pick<SeriesQuery, 'from' | 'to' | 'stepS'>): Resolution {
  if (q.stepS === undefined) return 'raw';
  const stepMs = q.stepS * 1000;
  for (const r of [...ROLLUPS].reverse()) {
    if (stepMs % r.ms === 0 && q.from % r.ms === 0 && q.to % r.ms === 0) return r.name;
  }
  return 'raw';
}

/** What a round of spool records gave the store: counts, and the records that did not decode (by index, with the error). */
export interface RecordsWritten {
  points: number;
  deadLetters: number;
  /** Store write calls (transactions) of the points. */
  transactions: number;
  bad: Array<{ index: number; error: string }>;
}

/**
 * The store: the one interface both adapters (DuckDB, InfluxDB) implement and the conformance suite checks.
 * Every method may throw a StoreError (see errors.ts).
 */
export interface Store {
  readonly name: string;
  /** Creates tables / databases as needed. */
  init(): Promise<void>;
  /**
   * Writes points in one batch; idempotent per key. Brings every rollup bucket the points fall in up to
   * date (1 min, 15 min, 1 h: count, sum, min, max, last), late and out-of-order points included.
   */
  write(points: readonly Point[]): Promise<void>;
  /** The latest reading of every asset of a kind (across its devices, the newest by ts). */
  latest(kind: Kind): Promise<LatestPoint[]>;
  /**
   * History of one metric for some assets over [from, to), raw or per step with an aggregate; a bucketed
   * query is answered from the coarsest rollup that fits (`resolutionFor`), with the same result as from raw.
   */
  series(q: SeriesQuery): Promise<SeriesResult[]>;
  /**
   * The same history per step in columns: every bucket of the range once, each asset's values rounded and
   * aligned with it; equal to `series()` with the same query, rounded (`columnsFromSeries`).
   */
  seriesColumns(q: ColumnarQuery): Promise<ColumnarResult>;
  /**
   * Retention: deletes the data of one resolution (default raw) older than `before` (epoch ms; a rollup
   * bucket goes when it starts before it). Returns how many rows went, where the store can tell.
   */
  deleteBefore(before: number, resolution?: Resolution): Promise<number | null>;
  writeDeadLetters(rows: readonly DeadLetter[]): Promise<void>;
  listDeadLetters(q: DeadLetterQuery): Promise<DeadLetter[]>;
  /** Removes dead letters by id (after a successful replay); returns how many there were. */
  deleteDeadLetters(ids: readonly string[]): Promise<number>;
  /** Appends to the alert log; an event written again with the same id replaces itself. */
  writeAlertEvents(events: readonly AlertEvent[]): Promise<void>;
  /** The alert log, newest first (by `at`, then id). */
  listAlertEvents(q: AlertEventQuery): Promise<AlertEvent[]>;
  close(): Promise<void>;
  /** For readiness, where a store can tell: not ok (with the reason) while it is being reopened. */
  health?(): { ok: boolean; detail?: string };
  /**
   * Where a store does it better itself (on a thread of its own): `writeRecords` of record.ts, the same contract.
   * Any other store is written through that function.
   */
  writeRecords?(records: readonly Uint8Array[], batchPoints: number): Promise<RecordsWritten>;
}
