import { createHash, randomBytes } from 'node:crypto';
import type { Logger, SharedDocument } from '@cityhub/contracts';
import { Redis } from 'ioredis';
import { StateError } from './errors.js';
import { Serial } from './serial.js';

/** Options of {@link RedisDocument.open}. */
export interface RedisDocumentOptions {
  /** Where the document reports what goes wrong around it. */
  logger?: Logger;
  /**
   * How often the document checks Redis for a version it was not told about (ms; default 2000): a
   * notification published while the subscription was reconnecting is lost. One `HGET` of the version;
   * the text only when it changed.
   */
  refetchMs?: number;
  /** How long opening, and an update while Redis is unreachable, wait for a connection (ms; default 10000). */
  connectTimeoutMs?: number;
  /** How long one command may take before it fails (ms; default 5000). */
  commandTimeoutMs?: number;
}

/** An update gives up after this many lost races: something writes the key in a loop. */
const MAX_ATTEMPTS = 100;
/** While Redis stays unreachable, a connection error is logged at most this often (ms). */
const ERROR_LOG_EVERY_MS = 30_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The URL without its password, for messages. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'redis://(invalid URL)';
  }
}

/** `<n>.<random>`: the counter orders versions, the random part tells apart two histories (a Redis that lost its data). */
function nextVersion(version: string | null): string {
  const n = Number.parseInt(version?.split('.')[0] ?? '0', 10);
  return `${Number.isFinite(n) ? n + 1 : 1}.${randomBytes(6).toString('hex')}`;
}

/** The stamp of a fetched value: its version; a hash written by hand without one is stamped by its text. */
function stampOf(text: string | null, version: string | null): string {
  if (version !== null) return version;
  if (text === null) return 'absent';
  return `text:${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
}

type Reply = [error: Error | null, result: unknown][] | null;

/** The replies of a pipeline or transaction, or the first error in them. */
function results(reply: Reply, expected: number): unknown[] {
  if (!reply || reply.length < expected) throw new Error('Redis returned fewer replies than commands');
  for (const [err] of reply) if (err) throw err;
  return reply.map(([, r]) => r);
}

/**
 * A shared document kept in Redis, for several machines: the hash `cityhub:doc:<name>` holds its `text`
 * and `version`. Every node keeps a copy in memory, so `read` never waits for the network:
 *
 * - `update` is an optimistic transaction (WATCH, read, MULTI/HSET/PUBLISH/EXEC), retried when another
 *   writer changed the key in between; a process's own updates are serialised first.
 * - A second connection subscribes to `cityhub:doc-changed:<name>` and fetches each new version it hears of.
 * - Every `refetchMs` the version is checked, for notifications lost while reconnecting; `sync` fetches now.
 *
 * Connection errors are logged, never thrown at the process: ioredis reconnects by itself, and the copy
 * in memory keeps serving meanwhile. An update during an outage waits up to `connectTimeoutMs` for Redis,
 * then fails with STATE_UNAVAILABLE.
 */
export class RedisDocument implements SharedDocument {
  readonly location: string;
  /** Transactions lost to another writer and retried, since open (for tests and diagnostics). */
  conflicts = 0;
  private readonly key: string;
  private readonly channel: string;
  /** Commands and transactions. No offline queue: a command never waits for, or is resent on, a new connection. */
  private readonly cmd: Redis;
  /** The subscription (a subscribed connection can run no other command). */
  private readonly sub: Redis;
  private text: string | null = null;
  private stamp = 'absent';
  /** Request order: replies older than the newest applied one are dropped. */
  private sent = 0;
  private applied = 0;
  /** Counts `cmd` connections: a WATCH is lost with the connection it was sent on. */
  private generation = 0;
  private current: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private readonly serial = new Serial();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Waits for a connection under way: `close` ends them at once rather than after `connectTimeoutMs`. */
  private readonly waiting = new Set<(err: Error) => void>();
  private readonly down = new Map<string, { since: number; logged: number; message: string }>();

  private constructor(url: string, name: string, private readonly opts: RedisDocumentOptions) {
    this.key = `cityhub:doc:${name}`;
    this.channel = `cityhub:doc-changed:${name}`;
    this.location = `${redact(url)}#${this.key}`;
    this.cmd = new Redis(url, {
      connectionName: `cityhub-doc-${name}`,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      commandTimeout: opts.commandTimeoutMs ?? 5_000,
    });
    this.sub = new Redis(url, { connectionName: `cityhub-doc-${name}-sub` });
    for (const [role, conn] of [['commands', this.cmd], ['subscription', this.sub]] as const) {
      conn.on('error', (err: Error) => this.connectionError(role, err));
      conn.on('ready', () => this.connectionReady(role));
    }
    this.cmd.on('close', () => { this.generation++; });
    this.sub.on('message', (channel: string, version: string) => {
      if (channel === this.channel && version !== this.stamp) this.refetch();
    });
  }

  /**
   * Connects to `url`, subscribes, and fetches the document before it resolves. Fails with
   * STATE_UNAVAILABLE when Redis does not answer within `connectTimeoutMs`.
   */
  static async open(url: string, name: string, opts: RedisDocumentOptions = {}): Promise<RedisDocument> {
    const doc = new RedisDocument(url, name, opts);
    try {
      await Promise.all([doc.waitReady(doc.cmd), doc.waitReady(doc.sub)]);
      // Subscribed before the first fetch: a version written in between is announced, not missed.
      await doc.sub.subscribe(doc.channel);
      await doc.sync();
    } catch (e) {
      await doc.close();
      throw doc.unavailable(e);
    }
    doc.timer = setInterval(() => {
      if (doc.cmd.status === 'ready') doc.refetch();
    }, opts.refetchMs ?? 2_000);
    doc.timer.unref();
    return doc;
  }

  /** The copy in memory; no I/O. */
  read(): { text: string | null; stamp: string } {
    return { text: this.text, stamp: this.stamp };
  }

  /**
   * Fetches the newest version now: the version first, the text only when it changed. Calls while a fetch
   * is under way share one fetch started after it, so each caller sees what was written before it called.
   */
  sync(): Promise<void> {
    if (this.closed) return Promise.reject(new StateError('STATE_CLOSED', `${this.location} is closed`));
    if (this.queued) return this.queued;
    if (!this.current) return this.startFetch();
    this.queued = this.current.catch(() => undefined).then(() => {
      this.queued = undefined;
      return this.startFetch();
    });
    return this.queued;
  }

  update<T>(fn: (text: string | null) => { text?: string; result: T }): Promise<T> {
    if (this.closed) return Promise.reject(new StateError('STATE_CLOSED', `${this.location} is closed`));
    return this.serial.run(async () => {
      for (let attempt = 1; ; attempt++) {
        const seen = await this.watchAndRead();
        let out: { text?: string; result: T };
        try {
          out = fn(seen.text);
        } catch (e) {
          this.unwatch();
          throw e;
        }
        const text = out.text;
        if (text === undefined) {
          this.unwatch();
          return out.result;
        }
        if (await this.commit(seen, text)) return out.result;
        this.conflicts++;
        if (attempt >= MAX_ATTEMPTS) {
          throw new StateError('STATE_CONTENDED', `${this.location}: other writers kept changing it; gave up after ${attempt} attempts`);
        }
        // Randomised, growing back-off so that two losers do not collide again in lock step.
        await sleep(Math.random() * Math.min(2 ** attempt, 50));
      }
    });
  }

  /** Stops the periodic check, waits for updates under way and quits both connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    for (const end of [...this.waiting]) end(new StateError('STATE_CLOSED', `${this.location} is closed`));
    await this.serial.idle();
    await Promise.all([this.cmd, this.sub].map(async (conn) => {
      if (conn.status !== 'ready') {
        conn.disconnect();
        return;
      }
      await conn.quit().catch(() => conn.disconnect());
    }));
  }

  private startFetch(): Promise<void> {
    const p = this.fetch().finally(() => {
      if (this.current === p) this.current = undefined;
    });
    this.current = p;
    return p;
  }

  private async fetch(): Promise<void> {
    try {
      const version = await this.cmd.hget(this.key, 'version');
      if (version !== null && version === this.stamp) return;
      const seq = ++this.sent;
      const [text, v] = await this.cmd.hmget(this.key, 'text', 'version');
      this.apply(seq, text ?? null, v ?? null);
    } catch (e) {
      throw this.unavailable(e);
    }
  }

  /** A fetch in the background: a failure is logged (the periodic check tries again). */
  private refetch(): void {
    if (this.closed) return;
    this.sync().catch((err: unknown) => {
      if (!this.closed) this.opts.logger?.warn({ err, location: this.location }, 'could not fetch the shared document; serving the last copy');
    });
  }

  private apply(seq: number, text: string | null, version: string | null): void {
    if (seq < this.applied) return;
    this.applied = seq;
    this.text = text;
    this.stamp = stampOf(text, version);
  }

  /** WATCHes the key and reads it, in one round trip on one connection. */
  private async watchAndRead(): Promise<{ text: string | null; version: string | null; generation: number }> {
    try {
      await this.waitReady(this.cmd);
      const generation = this.generation;
      const seq = ++this.sent;
      const [, value] = results(await this.cmd.pipeline().watch(this.key).hmget(this.key, 'text', 'version').exec(), 2);
      const [text, version] = value as [string | null, string | null];
      this.apply(seq, text, version);
      return { text, version, generation };
    } catch (e) {
      throw this.unavailable(e);
    }
  }

  /** Writes `text` if the key is unchanged since the WATCH; false when another writer won. */
  private async commit(seen: { version: string | null; generation: number }, text: string): Promise<boolean> {
    // A reconnect since the WATCH dropped it: the transaction would run unguarded, so start again.
    if (seen.generation !== this.generation || this.cmd.status !== 'ready') return false;
    const version = nextVersion(seen.version);
    try {
      const seq = ++this.sent;
      const reply = await this.cmd.multi().hset(this.key, 'text', text, 'version', version).publish(this.channel, version).exec();
      if (reply === null) return false;
      results(reply, 2);
      this.apply(seq, text, version);
      return true;
    } catch (e) {
      throw this.unavailable(e);
    }
  }

  private unwatch(): void {
    if (this.cmd.status === 'ready') this.cmd.unwatch().catch(() => undefined);
  }

  /** Resolves when `conn` is ready; STATE_UNAVAILABLE after `connectTimeoutMs`. */
  private waitReady(conn: Redis): Promise<void> {
    if (conn.status === 'ready') return Promise.resolve();
    if (this.closed || conn.status === 'end') return Promise.reject(new StateError('STATE_CLOSED', `${this.location} is closed`));
    const ms = this.opts.connectTimeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timer);
        conn.off('ready', onReady);
        conn.off('end', onEnd);
        this.waiting.delete(done);
        if (err) reject(err);
        else resolve();
      };
      this.waiting.add(done);
      const onReady = () => done();
      const onEnd = () => done(new StateError('STATE_CLOSED', `${this.location} is closed`));
      const timer = setTimeout(() => {
        const last = [...this.down.values()][0]?.message;
        done(new StateError('STATE_UNAVAILABLE', `${this.location} did not answer within ${ms} ms${last ? ` (${last})` : ''}`));
      }, ms);
      conn.on('ready', onReady);
      conn.on('end', onEnd);
    });
  }

  private unavailable(e: unknown): StateError {
    if (e instanceof StateError) return e;
    return new StateError('STATE_UNAVAILABLE', `${this.location}: ${(e as Error).message}`, { cause: e });
  }

  /** Logs the first error of an outage, then at most every ERROR_LOG_EVERY_MS while it lasts. */
  private connectionError(role: string, err: Error): void {
    const now = Date.now();
    const d = this.down.get(role);
    if (!d) {
      this.down.set(role, { since: now, logged: now, message: err.message });
    } else {
      d.message = err.message;
      if (now - d.logged < ERROR_LOG_EVERY_MS) return;
      d.logged = now;
    }
    if (!this.closed) this.opts.logger?.warn({ err, location: this.location, connection: role }, 'Redis connection failed; retrying, and serving the last copy meanwhile');
  }

  /** After a reconnect, fetches: notifications published meanwhile were lost. */
  private connectionReady(role: string): void {
    const d = this.down.get(role);
    if (d) {
      this.down.delete(role);
      this.opts.logger?.info({ location: this.location, connection: role, down_ms: Date.now() - d.since }, 'Redis connection restored');
    }
    if (this.timer && this.cmd.status === 'ready') this.refetch();
  }
}
