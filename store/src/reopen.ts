import { StoreError } from './errors.js';
import type { Store } from './types.js';

/** Where the reopening store reports: a handle that died, each failed reopen, the store back. */
export interface ReopenLogger {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ReopenOptions {
  logger?: ReopenLogger;
  /** Backoff between reopen attempts (doubling from min to max). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** True for an error that means the handle is dead and only a new one will do. */
  isDead?: (err: unknown) => boolean;
}

/**
 * Errors after which a DuckDB handle never works again: the database was invalidated by a fatal error (a
 * failed checkpoint or write on a full disk, say: every later statement answers "database has been
 * invalidated"), or its connections are closed.
 */
export function isDeadHandle(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : String(err);
  return /invalidated|FATAL Error|has been closed|the DuckDB store is closed|database is closed/i.test(msg);
}

/**
 * A store that replaces its adapter when the adapter's handle dies, without a restart: the dead one is
 * closed and `open()` is tried again with backoff. Meanwhile every call fails at once with
 * STORE_UNAVAILABLE (the spool writer retries, the API answers 503) and `health()` says why.
 */
export function reopening(open: () => Store, opts: ReopenOptions = {}): Store & { reopens(): number } {
  const minMs = opts.minBackoffMs ?? 200;
  const maxMs = opts.maxBackoffMs ?? 10_000;
  const isDead = opts.isDead ?? isDeadHandle;
  let inner = open();
  let reviving: Promise<void> | null = null;
  let reason = '';
  let lastTry = '';
  let closed = false;
  let count = 0;

  async function revive(dead: Store): Promise<void> {
    // A dead handle may not close cleanly; it is not waited for long.
    await Promise.race([dead.close().catch(() => undefined), new Promise((r) => setTimeout(r, 5_000).unref())]);
    for (let wait = minMs, attempt = 1; !closed; wait = Math.min(wait * 2, maxMs), attempt++) {
      const next = open();
      try {
        await next.init();
        if (closed) {
          await next.close();
          return;
        }
        inner = next;
        count++;
        opts.logger?.info({ store: next.name, attempts: attempt }, 'store reopened: it serves again');
        return;
      } catch (err) {
        await next.close().catch(() => undefined);
        lastTry = err instanceof Error ? err.message : String(err);
        opts.logger?.error({ err: lastTry, attempt, retryInMs: wait }, 'store could not be reopened yet');
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  async function call<T>(fn: (s: Store) => Promise<T>): Promise<T> {
    if (reviving) throw new StoreError('STORE_UNAVAILABLE', `the ${inner.name} store is being reopened after: ${reason}`);
    const s = inner;
    try {
      return await fn(s);
    } catch (err) {
      if (!closed && !reviving && s === inner && isDead(err)) {
        reason = err instanceof Error ? err.message : String(err);
        lastTry = '';
        opts.logger?.error({ err: reason, store: s.name }, 'the store handle is dead: reopening it');
        reviving = revive(s).finally(() => { reviving = null; });
        throw new StoreError('STORE_UNAVAILABLE', `the ${s.name} store is being reopened after: ${reason}`, { cause: err });
      }
      throw err;
    }
  }

  return {
    get name() { return inner.name; },
    init: () => inner.init(),
    write: (points) => call((s) => s.write(points)),
    latest: (kind) => call((s) => s.latest(kind)),
    series: (q) => call((s) => s.series(q)),
    seriesColumns: (q) => call((s) => s.seriesColumns(q)),
    deleteBefore: (before, resolution) => call((s) => s.deleteBefore(before, resolution)),
    writeDeadLetters: (rows) => call((s) => s.writeDeadLetters(rows)),
    listDeadLetters: (q) => call((s) => s.listDeadLetters(q)),
    deleteDeadLetters: (ids) => call((s) => s.deleteDeadLetters(ids)),
    writeAlertEvents: (events) => call((s) => s.writeAlertEvents(events)),
    listAlertEvents: (q) => call((s) => s.listAlertEvents(q)),
    health: () => (reviving
      ? { ok: false, detail: `reopening the ${inner.name} store after: ${reason}${lastTry ? `; last try: ${lastTry}` : ''}` }
      : inner.health?.() ?? { ok: true }),
    reopens: () => count,
    async close() {
      closed = true;
      await reviving;
      await inner.close();
    },
  };
}
