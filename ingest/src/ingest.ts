import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  COUNTER_METRICS, DEFAULT_MAX_AGE_MS, parseTopic, validateTelemetry,
  type DeadLetterReason, type DeviceRegistry, type Kind, type Logger, type RejectReason,
} from '@cityhub/contracts';
import type { DeadLetter, Point, Store } from '@cityhub/store';
import { DeviceStatsBook } from './device-stats.js';
import { encodeRecord } from './record.js';
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
  writer?: Partial<WriterOptions>;
}

/** What a replay of dead letters did, by dead letter id. */
export interface ReplayResult {
  replayed: string[];
  stillRejected: Array<{ id: string; reason: DeadLetterReason; message: string }>;
  /** Refused publishes to another device's topic: never replayed. */
  notReplayable: string[];
}

/** The outcome of one telemetry message. */
export interface AcceptResult { accepted: number; rejected: Array<{ reason: DeadLetterReason; message: string }> }

export interface IngestEvents {
  /** Readings as they become durable (for the live stream). */
  points: [points: Point[]];
}

/**
 * Ingest: validates each reading against its kind's schema, binds it to the device's asset, and makes it
 * durable in the spool before the caller may acknowledge it. Rejected readings are spooled as dead letters
 * with their reason, so nothing is silently dropped. The writer drains the spool into the store.
 */
export class Ingest extends EventEmitter<IngestEvents> {
  readonly stats = new DeviceStatsBook();
  /** Last counter value per device and metric, to refuse a meter going backwards. */
  private readonly counters = new Map<string, { ts: number; value: number }>();
  private readonly now: () => number;

  private constructor(readonly spool: Spool, readonly writer: Writer, private readonly opts: IngestOptions) {
    super();
    this.now = opts.now ?? Date.now;
  }

  /** Opens the spool under `<dataDir>/spool` and prepares the writer (call `start()` to run it). */
  static async open(opts: IngestOptions): Promise<Ingest> {
    const log = opts.logger;
    const onEvent = (e: SpoolEvent) => {
      if (e.type === 'full') log.warn(e, 'spool is at its cap: the hub stops acknowledging readings until the store catches up');
      else if (e.type === 'drained') log.info(e, 'spool below its cap again: acknowledging readings');
      else log.error(e, e.type === 'torn-tail' ? 'dropped a torn, unacknowledged record at the spool tail' : 'corrupt spool record skipped');
    };
    const spool = await Spool.open(join(opts.dataDir, 'spool'), {
      onEvent,
      ...(opts.spoolCapBytes !== undefined && { capBytes: opts.spoolCapBytes }),
      ...(opts.spoolSegmentBytes !== undefined && { segmentBytes: opts.spoolSegmentBytes }),
    });
    const writer = new Writer(spool, opts.store, { logger: log, ...opts.writer });
    const ingest = new Ingest(spool, writer, opts);
    await ingest.primeCounters();
    return ingest;
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
   * as a point or as a dead letter; rejects only when the spool cannot be written (then nothing may be
   * acknowledged).
   */
  async accept(deviceId: string, topic: string, payload: Buffer): Promise<AcceptResult> {
    const now = this.now();
    const { points, dead } = this.evaluate(deviceId, topic, payload, now);
    for (const d of dead) this.stats.rejected(deviceId, d.reason, now);
    await this.spool.append(encodeRecord({ points, dead }));
    for (const p of points) this.stats.reading(deviceId, p.seq, p.ts, now);
    if (points.length) this.emit('points', points);
    return { accepted: points.length, rejected: dead.map((d) => ({ reason: d.reason, message: d.message })) };
  }

  /** Validates and binds one message: the points it yields and the dead letters of what it refused. */
  private evaluate(deviceId: string, topic: string, payload: Buffer, now: number): { points: Point[]; dead: DeadLetter[] } {
    const t = parseTopic(topic);
    const device = this.opts.registry.get(deviceId);
    const dead: DeadLetter[] = [];
    const reject = (reason: RejectReason, message: string, raw: unknown) => {
      dead.push({ id: randomUUID(), received: now, device: deviceId, topic, reason, message, payload: typeof raw === 'string' ? raw : JSON.stringify(raw) ?? '' });
    };
    const points: Point[] = [];
    if (!device || !device.enabled) {
      reject('unknown_device', device ? `device ${deviceId} is disabled` : `no device ${deviceId} in the registry`, payload.toString('utf8'));
    } else if (!t || t.kind !== device.kind || t.deviceId !== deviceId) {
      reject('wrong_kind', `device ${deviceId} is a ${device.kind} device; topic ${topic} is not its telemetry topic`, payload.toString('utf8'));
    } else {
      const kind: Kind = device.kind;
      const { accepted, rejected } = validateTelemetry(kind, payload, { now, maxAgeMs: this.opts.maxAgeMs ?? DEFAULT_MAX_AGE_MS });
      for (const r of rejected) reject(r.reason, r.message, r.raw);
      for (const r of accepted) {
        const bad = this.counterCheck(deviceId, r.ts, r.values);
        if (bad) {
          reject('counter_decrease', bad, { ts: r.ts, seq: r.seq, ...r.values });
          continue;
        }
        points.push({ kind, asset: device.asset, device: deviceId, ts: r.ts, seq: r.seq, values: r.values });
      }
    }
    return { points, dead };
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
      if (dl.reason === 'topic_denied' || !dl.device || !dl.id) {
        if (dl.id) result.notReplayable.push(dl.id);
        continue;
      }
      const r = this.evaluate(dl.device, dl.topic, Buffer.from(dl.payload, 'utf8'), now);
      if (r.dead.length > 0 || r.points.length === 0) {
        result.stillRejected.push({ id: dl.id, reason: r.dead[0]?.reason ?? dl.reason, message: r.dead[0]?.message ?? dl.message });
        continue;
      }
      points.push(...r.points);
      result.replayed.push(dl.id);
    }
    if (points.length) {
      await this.spool.append(encodeRecord({ points, dead: [] }));
      this.emit('points', points);
    }
    return result;
  }

  /** Spools a dead letter for a publish the broker refused (a topic outside the device's own). */
  async denied(deviceId: string | null, topic: string, payload: Buffer, message: string): Promise<void> {
    const now = this.now();
    if (deviceId) this.stats.rejected(deviceId, 'topic_denied', now);
    await this.spool.append(encodeRecord({
      points: [],
      dead: [{ id: randomUUID(), received: now, device: deviceId, topic, reason: 'topic_denied', message, payload: payload.toString('utf8').slice(0, 65_536) }],
    }));
  }

  /** Returns a reason when a counter would go backwards; updates the counters otherwise. */
  private counterCheck(deviceId: string, ts: number, values: Record<string, number>): string | null {
    for (const [m, v] of Object.entries(values)) {
      if (!COUNTER_METRICS.has(m)) continue;
      const key = `${deviceId}\u0000${m}`;
      const last = this.counters.get(key);
      if (last && ts > last.ts && v < last.value) return `${m} went down from ${last.value} to ${v}: a meter counter never decreases`;
      if (last && ts < last.ts && v > last.value) return `${m} ${v} at an earlier time than ${last.value}: a meter counter never decreases`;
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
  }
}
