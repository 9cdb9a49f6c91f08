/** How failed logins are slowed down (documented in the README). */
export interface AuthLimits {
  /** Failures of one device id allowed before it backs off. */
  freeFailuresPerId: number;
  /** Failures from one address allowed before it backs off (many devices may share one address). */
  freeFailuresPerAddress: number;
  /** The first back-off, doubled at each further failure up to `maxBackoffMs`. */
  baseBackoffMs: number;
  maxBackoffMs: number;
  /** Slow (hashed) checks running or waiting at once for one address (one device id waits for its own). */
  maxPendingPerAddress: number;
  /** Ids and addresses remembered; beyond it the oldest are forgotten. */
  maxTracked: number;
  /**
   * A login refused without a check (its id or address backed off) is answered about this long after it
   * arrived (from half to one and a half times it, at random), the connection held meanwhile: a flood that reconnects at once then makes a few hundred attempts a
   * second instead of thousands, and a device with a secret verified before still gets in at once.
   */
  refusalDelayMs: number;
}
export const AUTH_LIMITS: AuthLimits = {
  freeFailuresPerId: 3, freeFailuresPerAddress: 20, baseBackoffMs: 1_000, maxBackoffMs: 60_000, maxPendingPerAddress: 64, maxTracked: 100_000, refusalDelayMs: 1_000,
};

interface Failures { count: number; until: number; last: number }

/** Failure counts with an exponential back-off, bounded in size. */
class Backoff {
  private readonly entries = new Map<string, Failures>();
  constructor(private readonly free: number, private readonly limits: AuthLimits) {}

  /** Ms this key must still wait; 0 when it may try. */
  waitMs(key: string, now: number): number {
    const e = this.entries.get(key);
    return e && e.until > now ? e.until - now : 0;
  }

  fail(key: string, now: number): void {
    let e = this.entries.get(key);
    // A key quiet for longer than the longest back-off starts afresh.
    if (e && now - e.last > 2 * this.limits.maxBackoffMs) e = undefined;
    const count = (e?.count ?? 0) + 1;
    const over = count - this.free;
    const until = over > 0 ? now + Math.min(this.limits.maxBackoffMs, this.limits.baseBackoffMs * 2 ** (over - 1)) : 0;
    this.entries.delete(key);
    this.entries.set(key, { count, until, last: now });
    if (this.entries.size > this.limits.maxTracked) this.entries.delete(this.entries.keys().next().value!);
  }

  /** True while `key` has a recent failure (one not yet forgotten as stale). */
  hasFailed(key: string, now: number): boolean {
    const e = this.entries.get(key);
    return !!e && now - e.last <= 2 * this.limits.maxBackoffMs;
  }

  forget(key: string): void {
    this.entries.delete(key);
  }
}

/**
 * Failed logins back off per device id and per address (exponential, capped); while an id or an address
 * is backed off, or the address already has its share of slow checks, an attempt is answered at once
 * without hashing. Logins of one id are checked one at a time (`serial`), so a flood on one id costs one
 * hash at a time until it backs off.
 */
export class AuthGuard {
  private readonly ids: Backoff;
  private readonly addresses: Backoff;
  private readonly tails = new Map<string, Promise<void>>();
  private readonly pendingAddresses = new Map<string, number>();
  readonly stats = { refusedFast: 0, failures: 0 };

  constructor(readonly limits: AuthLimits = AUTH_LIMITS, private readonly now: () => number = Date.now) {
    this.ids = new Backoff(limits.freeFailuresPerId, limits);
    this.addresses = new Backoff(limits.freeFailuresPerAddress, limits);
  }

  /** Why a slow check may not run now (then only a cached secret is accepted), or null. */
  holdBack(id: string, address: string): string | null {
    const now = this.now();
    const wait = Math.max(this.ids.waitMs(id, now), this.addresses.waitMs(address, now));
    if (wait > 0) return `too many failed attempts; retry in ${Math.ceil(wait / 1000)} s`;
    // The cap on slow checks at once applies to an address that has failed a login: a fleet behind one address
    // reconnecting to a restarted hub (no failures) waits its turn instead of being refused.
    if ((this.pendingAddresses.get(address) ?? 0) >= this.limits.maxPendingPerAddress && this.addresses.hasFailed(address, now)) {
      return 'too many checks from this address';
    }
    return null;
  }

  /** Runs `fn` after every earlier `serial` call for `id` has settled: one login of an id at a time. */
  serial<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const next = (this.tails.get(id) ?? Promise.resolve()).then(fn, fn);
    const tail = next.then(() => undefined, () => undefined);
    this.tails.set(id, tail);
    void tail.then(() => {
      if (this.tails.get(id) === tail) this.tails.delete(id);
    });
    return next;
  }

  /** Runs a slow check for `id` from `address`, counting its outcome. */
  async check<T>(id: string, address: string, run: () => Promise<T | null>): Promise<T | null> {
    this.pendingAddresses.set(address, (this.pendingAddresses.get(address) ?? 0) + 1);
    try {
      const ok = await run();
      if (ok) this.ids.forget(id);
      else this.failed(id, address);
      return ok;
    } finally {
      const n = (this.pendingAddresses.get(address) ?? 1) - 1;
      if (n > 0) this.pendingAddresses.set(address, n);
      else this.pendingAddresses.delete(address);
    }
  }

  /** A failed check of `id` from `address`. */
  failed(id: string, address: string): void {
    const now = this.now();
    this.stats.failures++;
    this.ids.fail(id, now);
    this.addresses.fail(address, now);
  }
}
