import type { EventEmitter } from 'node:events';
import type { AssetCollection, Config } from '@cityhub/contracts';
import type { Point, Store } from '@cityhub/store';
import { CONTEXTS_PATH } from './contexts.js';
import { loadEntities, type Entity } from './entities.js';
import { parseEntityId, TYPE_NAMES } from './models.js';

export interface PushOptions {
  /** The context broker's base URL (`CITYHUB_NGSI_BROKER_URL`), e.g. http://orion:1026. */
  brokerUrl: string;
  /** The `NGSILD-Tenant` to write to. */
  tenant?: string;
  /** The URL of the hub's `@context` the broker resolves the terms with (the hub serves it). */
  contextUrl: string;
  /** Milliseconds between two full pushes (`CITYHUB_NGSI_PUSH_INTERVAL_S`). */
  intervalMs: number;
  /** Most assets whose change waits to be pushed (`CITYHUB_NGSI_PUSH_MAX_PENDING`); beyond it they wait for the next full push. */
  maxPending: number;
  store: Store;
  catalogue: AssetCollection;
  /** Readings as they become durable: their assets are pushed on change. */
  live: EventEmitter<{ points: [Point[]] }>;
  /** Resolves once what is durable now is in the store (ingest's `writer.drained()`), so a push reads the new readings. */
  settled?: () => Promise<unknown>;
  logger: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
  /** Entities per upsert request; attempts per request and the first backoff (doubling). */
  batchSize?: number;
  attempts?: number;
  backoffMs?: number;
  /** Wait after a change before pushing, to gather the changes of one writer round. */
  debounceMs?: number;
}

export interface PushStats { pushed: number; failedBatches: number; dropped: number; pending: number; lastError: string | null }

/**
 * Pushes the latest NGSI-LD entities to a context broker by batch upsert (`POST /ngsi-ld/v1/entityOperations/upsert`,
 * ETSI GS CIM 009 clause 6.15): all of them on start and on a schedule, and those of assets with new readings
 * as they come. One push at a time; a failed request is retried with backoff, then its assets wait for the
 * next push. At most `maxPending` changed assets wait; more are dropped to the next full push. Tested against
 * a recording HTTP server, not against a real broker (Orion-LD, Scorpio, Stellio).
 */
export class NgsiPusher {
  private readonly pending = new Set<string>();
  private readonly stats: PushStats = { pushed: 0, failedBatches: 0, dropped: 0, pending: 0, lastError: null };
  private timer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private fullDue = true;
  private closed = false;
  private readonly onPoints = (points: Point[]) => this.changed(points.map((p) => p.asset));

  constructor(private readonly o: PushOptions) {}

  start(): this {
    this.o.live.on('points', this.onPoints);
    this.timer = setInterval(() => this.schedule(true), this.o.intervalMs);
    this.schedule(true);
    return this;
  }

  /** Counts so far, and how many assets wait. */
  peek(): PushStats {
    return { ...this.stats, pending: this.pending.size };
  }

  /** Marks assets changed; past the bound the oldest wait for the next full push. */
  changed(assets: Iterable<string>): void {
    for (const a of assets) {
      this.pending.delete(a);
      this.pending.add(a);
    }
    while (this.pending.size > this.o.maxPending) {
      this.pending.delete(this.pending.values().next().value!);
      this.stats.dropped++;
      this.fullDue = true;
    }
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.schedule(false), this.o.debounceMs ?? 1_000);
  }

  /** Queues a push behind the one under way (never two at once). */
  private schedule(full: boolean): void {
    if (this.closed) return;
    if (full) this.fullDue = true;
    this.running = this.running.then(() => this.pushOnce()).catch((err: unknown) => {
      this.stats.lastError = (err as Error).message;
      this.o.logger.warn({ err }, 'NGSI-LD push failed');
    });
  }

  /** Resolves when the pushes queued so far are done. */
  async idle(): Promise<void> {
    await this.running;
  }

  private async pushOnce(): Promise<void> {
    if (this.closed) return;
    const full = this.fullDue;
    if (!full && this.pending.size === 0) return;
    const assets = full ? undefined : new Set(this.pending);
    this.fullDue = false;
    this.pending.clear();
    await this.o.settled?.();
    const entities = await loadEntities(this.o.store, this.o.catalogue, TYPE_NAMES, assets);
    const size = this.o.batchSize ?? 100;
    for (let i = 0; i < entities.length && !this.closed; i += size) {
      const batch = entities.slice(i, i + size);
      if (await this.upsert(batch)) this.stats.pushed += batch.length;
      else {
        this.stats.failedBatches++;
        // What did not go waits for the next push (full, if it was one).
        if (full) this.fullDue = true;
        else this.changed(batch.map((e) => parseEntityId(e.id)!.asset));
      }
    }
  }

  /** One batch upsert, retried with backoff; true once the broker took it. */
  private async upsert(batch: readonly Entity[]): Promise<boolean> {
    const url = `${this.o.brokerUrl.replace(/\/$/, '')}/ngsi-ld/v1/entityOperations/upsert?options=update`;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      link: `<${this.o.contextUrl}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`,
      ...(this.o.tenant && { 'ngsild-tenant': this.o.tenant }),
    };
    let backoff = this.o.backoffMs ?? 1_000;
    for (let attempt = 1; !this.closed; attempt++) {
      try {
        const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(batch), signal: AbortSignal.timeout(30_000) });
        await res.arrayBuffer();
        if (res.ok) return true;
        this.stats.lastError = `HTTP ${res.status} from the context broker`;
      } catch (err) {
        this.stats.lastError = (err as Error).message;
      }
      if (attempt >= (this.o.attempts ?? 5)) break;
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(backoff * 2, 60_000);
    }
    this.o.logger.warn({ entities: batch.length, err: this.stats.lastError }, 'NGSI-LD upsert failed after retries');
    return false;
  }

  /** Stops the schedule and waits for the push under way (its retries stop). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.debounce);
    this.o.live.off('points', this.onPoints);
    await this.running;
  }
}

/** The push as configured (`CITYHUB_NGSI_*`), started; null when no broker is configured. */
export function startNgsiPush(
  config: Pick<Config, 'CITYHUB_NGSI_BROKER_URL' | 'CITYHUB_NGSI_TENANT' | 'CITYHUB_NGSI_PUSH_INTERVAL_S' | 'CITYHUB_NGSI_PUSH_MAX_PENDING'>,
  parts: Pick<PushOptions, 'store' | 'catalogue' | 'live' | 'settled' | 'logger'> & { hubUrl: string },
): NgsiPusher | null {
  if (!config.CITYHUB_NGSI_BROKER_URL) return null;
  const { hubUrl, ...rest } = parts;
  return new NgsiPusher({
    ...rest, brokerUrl: config.CITYHUB_NGSI_BROKER_URL, ...(config.CITYHUB_NGSI_TENANT && { tenant: config.CITYHUB_NGSI_TENANT }),
    contextUrl: `${hubUrl.replace(/\/$/, '')}${CONTEXTS_PATH}/cityhub.jsonld`,
    intervalMs: config.CITYHUB_NGSI_PUSH_INTERVAL_S * 1000, maxPending: config.CITYHUB_NGSI_PUSH_MAX_PENDING,
  }).start();
}
