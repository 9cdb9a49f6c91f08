import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import {
  COUNTER_METRICS, DEFAULT_MAX_AGE_MS, isReadingKind, parseTopic, SPOOL_COMMIT_DELAY_MS, validateTelemetry,
  type DeadLetterReason, type DeviceRegistry, type Kind, type Logger, type RefusedReading, type RejectReason,
} from '@cityhub/contracts';
import { encodeRecord, isTruncated, type DeadLetter, type Point, type Store } from '@cityhub/store';
import { DeadLetterBudget } from './dead-letter-budget.js';
import { judgeGateway, type Child } from './gateway.js';
import { deadLetter, refuse, type Judged } from './refusal.js';
import { RejectionLog } from './rejection-log.js';
import { DeviceStatsBook } from './device-stats.js';
import { Spool, type SpoolEvent } from './spool/spool.js';
import { Writer, type WriterOptions } from './writer.js';

export type { Logger } from '@cityhub/contracts';

export interface IngestOptions {
  store: Store;
  registry: Pick<DeviceRegistry, 'get'>;
  dataDir: string;
  logger: Logger;
  /** The hub clock (epoch ms); tests move it. */
  now?: () => number;
  /** How old a reading may be: the raw retention. */
  maxAgeMs?: number;
  /** Unconsumed spool bytes at which the hub stops acknowledging. */
  spoolCapBytes?: number;
  spoolSegmentBytes?: number;
  /**
   * How long a device's lone message (its previous one `LONE_AFTER_MS` ago or more) may wait for others' before
   * the spool write that acknowledges it (default `SPOOL_COMMIT_DELAY_MS`; 0: at once). A device sending
   * back to back never waits, nor does a message of more than `LINGER_RECORD_BYTES` (an array of readings).
   */
  spoolCommitDelayMs?: number;
  /** How the acknowledging thread may sleep through that delay instead of setting a timer (`SpoolOptions.nap`). */
  spoolNap?: (ms: number) => boolean;
  writer?: Partial<WriterOptions>;
  /** Bytes of dead letters a device may store a minute (default `DEAD_LETTER_BYTES_PER_MINUTE`). */
  deadLetterBytesPerMinute?: number;
}

/** What a replay of dead letters did, by dead letter id. */
export interface ReplayResult {
  replayed: string[];
  stillRejected: Array<{ id: string; reason: DeadLetterReason; message: string }>;
  /** Refused publishes to another device's topic, and letters whose payload was cut: never replayed. */
  notReplayable: string[];
}

/** A device's message is lone when its previous one is at least this old (or it has none): it may wait for company. */
export const LONE_AFTER_MS = 1_000;
/**
 * A lone message waits for company only when its spool record is at most this size (bytes): a reading or a
 * gateway's few. An array of buffered readings is written at once; its write is already shared by many readings,
 * and a backfill that sends one array per device in turn would otherwise wait the delay on every message.
 */
export const LINGER_RECORD_BYTES = 4_096;
/**
 * Messages between two lone waits past which the hub is not at a trickle and a wait is a timer, not a sleep
 * (50 in a 150 ms delay: over 300 messages a second). A fleet of thousands needs its thread awake.
 */
export const NAP_MAX_MESSAGES = 50;


const SPOOL_ERRORS: Record<Exclude<SpoolEvent['type'], 'full' | 'drained' | 'write-recovered'>, string> = {
  'torn-tail': 'dropped the torn end of a spool segment: a write that never completed, so never acknowledged',
  corrupt: 'corrupt spool record skipped (failed its checksum): the records after it are kept',
  'cursor-repaired': 'the spool cursor did not point at a record inside the data: repaired',
  'write-failed': 'spool write failed: cut back to the last durable record; readings are not acknowledged until writes succeed again',
};

/**
 * The outcome of one telemetry message. `rejected` lists every refused reading, whether its dead letter was
 * stored or only counted because the device was over its dead-letter budget (`unstored` of them).
 */
export interface AcceptResult { accepted: number; rejected: RefusedReading[]; unstored: number }

export interface IngestEvents {
  /**
   * Readings once durable (for the live stream and the alerts): those of every message acknowledged in one turn of
   * the event loop together, told after those acknowledgements went out.
   */
  points: [points: Point[]];
}

/**
 * Ingest: validates each reading against its kind's schema, binds it to the device's asset, and makes it
 * durable in the spool before the caller may acknowledge it. Rejected readings are spooled as dead letters
 * with their reason, so nothing is silently dropped. The writer drains the spool into the store.
 */
export class Ingest extends EventEmitter<IngestEvents> {
  readonly stats = new DeviceStatsBook();
  readonly deadLetterBudget: DeadLetterBudget;
  private readonly rejections: RejectionLog;
  /** Last counter value per device and metric, to refuse a meter going backwards. */
  private readonly counters = new Map<string, { ts: number; value: number }>();
  /**
   * When a device last sent a message within `LONE_AFTER_MS` of its previous one: for that long after, a lone
   * message's wait is a timer, never a sleep, since the device's next message would otherwise wait out the sleep.
   */
  private backToBackAt = -Infinity;
  /** Messages taken since the spool last asked whether it may sleep (`mayNap`). */
  private sinceNapAsked = 0;
  /** When each device's last telemetry message arrived: one sent within LONE_AFTER_MS of it does not wait in the spool. */
  private readonly lastMessage = new Map<string, number>();
  private readonly now: () => number;
  /** Readings made durable in this turn of the event loop, not yet accounted or told (`points`). */
  private durable: Point[] = [];

  private constructor(readonly spool: Spool, readonly writer: Writer, private readonly opts: IngestOptions) {
    super();
    this.now = opts.now ?? Date.now;
    this.deadLetterBudget = new DeadLetterBudget(opts.deadLetterBytesPerMinute);
    this.rejections = new RejectionLog(opts.logger);
  }

  /** Opens the spool under `<dataDir>/spool` and prepares the writer (call `start()` to run it). */
  static async open(opts: IngestOptions): Promise<Ingest> {
    const log = opts.logger;
    const onEvent = (e: SpoolEvent) => {
      if (e.type === 'full') log.warn(e, 'spool is at its cap: the hub stops acknowledging readings until the store catches up');
      else if (e.type === 'drained') log.info(e, 'spool below its cap again: acknowledging readings');
      else if (e.type === 'write-recovered') log.info(e, 'spool writes succeed again');
      else log.error(e, SPOOL_ERRORS[e.type]);
    };
    // A sleep only at a trickle (see `mayNap`): the spool is opened before the Ingest that judges it.
    const made: { ingest?: Ingest } = {};
    const nap = opts.spoolNap;
    const spool = await Spool.open(join(opts.dataDir, 'spool'), {
      onEvent,
      ...(opts.spoolCapBytes !== undefined && { capBytes: opts.spoolCapBytes }),
      ...(opts.spoolSegmentBytes !== undefined && { segmentBytes: opts.spoolSegmentBytes }),
      commitDelayMs: opts.spoolCommitDelayMs ?? SPOOL_COMMIT_DELAY_MS,
      ...(nap && { nap: (ms: number) => made.ingest?.mayNap() === true && nap(ms) }),
    });
    const writer = new Writer(spool, opts.store, { logger: log, ...opts.writer });
    const ingest = new Ingest(spool, writer, opts);
    made.ingest = ingest;
    await ingest.primeCounters();
    return ingest;
  }

  /**
   * Whether a lone message's wait may be a sleep: only at a trickle, when no device sent back to back in the last
   * `LONE_AFTER_MS` and at most `NAP_MAX_MESSAGES` messages came since the last wait began.
   */
  private mayNap(): boolean {
    const trickle = this.sinceNapAsked <= NAP_MAX_MESSAGES && this.now() - this.backToBackAt >= LONE_AFTER_MS;
    this.sinceNapAsked = 0;
    return trickle;
  }

  private async primeCounters(): Promise<void> {
    try {
      for (const p of await this.opts.store.latest('energy')) {
        for (const [m, v] of Object.entries(p.values)) {
          if (COUNTER_METRICS.has(m)) this.counters.set(`${p.device}\u0000${m}`, { ts: p.ts, value: v });
        }
      }
    } catch (err) {
      this.opts.logger.warn({ err }, 'could not read counters from the store; counter checks start empty');
    }
  }

  start(): void {
    this.writer.start();
  }

  /**
   * Takes one telemetry message from `deviceId` on `topic`. Resolves when every reading in it is on disk,
   * as a point or as a dead letter (or counted, over the device's dead-letter budget); rejects only when
   * the spool cannot be written (then nothing may be acknowledged). No payload makes it throw: whatever
   * validation cannot judge is dead-lettered whole.
   */
  async accept(deviceId: string, topic: string, payload: Buffer): Promise<AcceptResult> {
    const now = this.now();
    // By the device that published (a gateway's readings are accounted to its children).
    const last = this.lastMessage.get(deviceId);
    this.lastMessage.set(deviceId, now);
    const lone = last === undefined || now - last >= LONE_AFTER_MS;
    if (!lone) this.backToBackAt = now;
    this.sinceNapAsked++;
    const { points, dead, refused } = this.judge(deviceId, topic, payload, now);
    for (const d of dead) this.stats.rejected(d.device ?? deviceId, d.reason, now);
    const kept = dead.filter((d) => this.deadLetterBudget.take(d.device, letterBytes(d), now));
    const record = encodeRecord({ points, dead: kept });
    await this.spool.append(record, { linger: lone && record.length <= LINGER_RECORD_BYTES });
    this.tellLater(points);
    if (refused.length) this.rejections.note(deviceId, refused, now);
    return { accepted: points.length, rejected: refused, unstored: dead.length - kept.length };
  }

  /** `evaluate`, except that an error in it (a bug, a payload nothing foresaw) dead-letters the payload whole. */
  private judge(deviceId: string, topic: string, payload: Buffer, now: number, receivedAt = now): Judged {
    try {
      return this.evaluate(deviceId, topic, payload, now, receivedAt);
    } catch (err) {
      this.opts.logger.error({ err, device: deviceId, topic, bytes: payload.length }, 'a payload could not be validated: dead-lettered whole');
      const message = `the payload could not be validated: ${(err as Error).message}`;
      const out: Judged = { points: [], dead: [], refused: [] };
      refuse(out, { now, device: deviceId, topic, kind: null }, { index: null, reason: 'schema', field: null, message, raw: payload });
      return out;
    }
  }

  /** Validates and binds one message: the points it yields, the dead letters of what it refused, and what the device is told. */
  private evaluate(deviceId: string, topic: string, payload: Buffer, now: number, receivedAt: number): Judged {
    const t = parseTopic(topic);
    const device = this.opts.registry.get(deviceId);
    const out: Judged = { points: [], dead: [], refused: [] };
    const whole = (reason: RejectReason, message: string) =>
      refuse(out, { now, device: deviceId, topic, kind: null }, { index: null, reason, message, raw: payload, field: null });
    if (!device || !device.enabled) whole('unknown_device', device ? `device ${deviceId} is disabled` : `no device ${deviceId} in the registry`);
    else if (!t || t.kind !== device.kind || t.deviceId !== deviceId) whole('wrong_kind', `device ${deviceId} is a ${device.kind} device; topic ${topic} is not its telemetry topic`);
    else if (!isReadingKind(device.kind)) {
      judgeGateway(out, device, topic, payload, {
        registry: this.opts.registry, now,
        readings: (o, child, childTopic, value) => this.readings(o, child, childTopic, value, { now, receivedAt }, device.id),
      });
    } else this.readings(out, { ...device, kind: device.kind }, topic, payload, { now, receivedAt });
    return out;
  }

  /** Validates the readings of `device` (a parsed array from a gateway, or the payload as received) into `out`. */
  private readings(out: Judged, device: Child, topic: string, payload: unknown, at: { now: number; receivedAt: number }, via?: string): void {
    const kind: Kind = device.kind;
    const opts = { now: at.now, receivedAt: at.receivedAt, maxAgeMs: this.opts.maxAgeMs ?? DEFAULT_MAX_AGE_MS };
    const { accepted, rejected } = validateTelemetry(kind, payload, opts);
    const ctx = { now: at.now, device: device.id, topic, kind, maxAgeMs: opts.maxAgeMs, ...(via && { via }) };
    for (const r of rejected) refuse(out, ctx, { ...r, raw: rawText(r.raw, payload) });
    for (const r of accepted) {
      const bad = this.counterCheck(device.id, r.ts, r.values);
      if (bad) {
        refuse(out, ctx, { index: null, seq: r.seq, reason: 'counter_decrease', field: bad.metric, message: bad.message, raw: JSON.stringify({ ts: r.ts, seq: r.seq, ...r.values }) });
        continue;
      }
      out.points.push({ kind, asset: device.asset, device: device.id, ts: r.ts, seq: r.seq, values: r.values });
    }
  }

  /**
   * Re-validates dead letters (for example after their device was registered, or a validation bug was
   * fixed) and ingests those that pass now; returns the ids that passed, which the caller removes from the
   * dead letters once this resolved (their readings are then durable in the spool). A refused publish to
   * another device's topic is never replayed. Re-ingesting a reading that was already stored overwrites
   * itself (the store key is series + device time), so a replay never duplicates.
   */
  async replay(letters: readonly DeadLetter[]): Promise<ReplayResult> {
    const now = this.now();
    const result: ReplayResult = { replayed: [], stillRejected: [], notReplayable: [] };
    const points: Point[] = [];
    for (const dl of letters) {
      // A letter whose payload was cut to its first 8 KiB no longer holds what the device sent.
      if (dl.reason === 'topic_denied' || !dl.device || !dl.id || isTruncated(dl)) {
        if (dl.id) result.notReplayable.push(dl.id);
        continue;
      }
      // ts_future is judged against the time the letter was received: a reading from a clock that ran ahead
      // does not become valid by waiting.
      const r = this.judge(dl.device, dl.topic, Buffer.from(dl.payload, 'utf8'), now, dl.received);
      if (r.dead.length > 0 || r.points.length === 0) {
        result.stillRejected.push({ id: dl.id, reason: r.dead[0]?.reason ?? dl.reason, message: r.dead[0]?.message ?? dl.message });
        continue;
      }
      points.push(...r.points);
      result.replayed.push(dl.id);
    }
    if (points.length) {
      await this.spool.append(encodeRecord({ points, dead: [] }));
      this.tellLater(points);
    }
    return result;
  }

  /**
   * Accounts durable readings per device and tells the `points` listeners (live stream, alerts) once per turn of the
   * event loop, after the acknowledgements the caller sends as `accept` resolves: nothing but validation, binding
   * and the spool append comes before a PUBACK, and a flood's thousands of messages a second cost one call each.
   */
  private tellLater(points: readonly Point[]): void {
    if (points.length === 0) return;
    if (this.durable.length === 0) setImmediate(() => this.tell());
    for (const p of points) this.durable.push(p);
  }

  private tell(): void {
    const points = this.durable;
    if (points.length === 0) return;
    this.durable = [];
    const now = this.now();
    for (const p of points) this.stats.reading(p.device, p.seq, p.ts, now);
    this.emit('points', points);
  }

  /** Spools a dead letter for a publish the broker refused (a topic outside the device's own). */
  async denied(deviceId: string | null, topic: string, payload: Buffer, message: string): Promise<void> {
    const now = this.now();
    if (deviceId) this.stats.rejected(deviceId, 'topic_denied', now);
    const letter = deadLetter(now, deviceId, topic, 'topic_denied', message, payload);
    if (!this.deadLetterBudget.take(deviceId, letterBytes(letter), now)) return;
    await this.spool.append(encodeRecord({ points: [], dead: [letter] }));
  }

  /** Returns a reason when a counter would go backwards; updates the counters otherwise. */
  private counterCheck(deviceId: string, ts: number, values: Record<string, number>): { metric: string; message: string } | null {
    let counters = false;
    for (const m in values) if (COUNTER_METRICS.has(m)) counters = true;
    if (!counters) return null;
    for (const [m, v] of Object.entries(values)) {
      if (!COUNTER_METRICS.has(m)) continue;
      const key = `${deviceId}\u0000${m}`;
      const last = this.counters.get(key);
      if (last && ts > last.ts && v < last.value) return { metric: m, message: `${m} went down from ${last.value} to ${v}: a meter counter never decreases` };
      if (last && ts < last.ts && v > last.value) return { metric: m, message: `${m} ${v} at an earlier time than ${last.value}: a meter counter never decreases` };
    }
    for (const [m, v] of Object.entries(values)) {
      if (!COUNTER_METRICS.has(m)) continue;
      const key = `${deviceId}\u0000${m}`;
      const last = this.counters.get(key);
      if (!last || ts >= last.ts) this.counters.set(key, { ts, value: v });
    }
    return null;
  }

  /**
   * Stops: lets the writer drain the spool into the store (for at most `drainMs`; what is left stays in the
   * spool, durable, and is written at the next start), then closes the spool. Call it after the broker
   * stopped taking readings.
   */
  async close(drainMs = 15_000): Promise<void> {
    if (this.writer.isRunning() && !this.writer.stats.lastError) await this.writer.drained(drainMs);
    await this.writer.stop();
    await this.spool.close();
    this.tell();
  }
}

/** What a letter costs of its device's budget. */
const letterBytes = (d: DeadLetter): number => Buffer.byteLength(d.payload) + d.message.length + d.topic.length;

/**
 * The text a dead letter keeps of a rejection's `raw`: text as it is; a rejected element of an array
 * re-serialised, unless that would change it (a non-finite number such as `1e309` becomes `null` in JSON),
 * and then the whole payload as received.
 */
function rawText(raw: unknown, payload: unknown): Buffer | string {
  if (typeof raw === 'string') return raw;
  if (!hasNonFinite(raw)) return JSON.stringify(raw) ?? '';
  return Buffer.isBuffer(payload) ? payload : JSON.stringify(payload) ?? '';
}

/** True when a parsed JSON value holds a number JSON cannot write (validation bounds the depth). */
function hasNonFinite(v: unknown): boolean {
  if (typeof v === 'number') return !Number.isFinite(v);
  if (v === null || typeof v !== 'object') return false;
  return Object.values(v).some(hasNonFinite);
}
