import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { Role } from '@cityhub/contracts';
import type { SharedDocOptions } from '@cityhub/state';
import { JsonDoc } from '../util/json-doc.js';

/** Failed sign-ins of one user name before it is locked, and of one address before it is. */
export const LOCKOUT = { perUser: 5, perAddress: 20, lockMs: 15 * 60_000 } as const;
/** Sessions kept at most (the oldest beyond end), and addresses with failures remembered at most. */
const MAX_SESSIONS = 10_000;
const MAX_FAILURE_KEYS = 10_000;

const Session = z.object({
  user: z.string(), csrf: z.string(), created: z.number(), last_seen: z.number(), address: z.string().nullable(),
  /** A person signed in with OpenID Connect: the role and name the provider's claims gave at sign-in (no local account). */
  role: Role.optional(), name: z.string().optional(),
});
type Session = z.infer<typeof Session>;
const Failures = z.object({ count: z.number(), first: z.number(), until: z.number().nullable() });
type Failures = z.infer<typeof Failures>;
const SessionsFile = z.object({
  version: z.literal(1),
  /** By SHA-256 of the session id: the document never holds an id that would sign anyone in. */
  sessions: z.record(z.string(), Session),
  users: z.record(z.string(), Failures),
  addresses: z.record(z.string(), Failures),
  /** The key (32 random bytes, base64url) that signs the OpenID Connect sign-in cookie, the same for every api node. */
  login_key: z.string().optional(),
});
type SessionsFile = z.infer<typeof SessionsFile>;

/** How long sessions live: without a request (`idleMs`) and at most (`maxMs`). */
export interface SessionTimes { idleMs: number; maxMs: number }

/** A live session as the API sees it. */
export interface LiveSession {
  user: string; csrf: string; created: number; idleExpires: number; expires: number;
  /** Set for a person signed in with OpenID Connect: their role and name from the provider's claims. */
  role?: Role; name?: string;
}

/** Who an OpenID Connect sign-in made: their role and name, kept with the session. */
export interface ExternalPerson { role: Role; name?: string }

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Drops the oldest keys (by `age`) beyond `max`. */
function bound<V>(rec: Record<string, V>, max: number, age: (v: V) => number): void {
  const keys = Object.keys(rec);
  if (keys.length <= max) return;
  keys.sort((a, b) => age(rec[a]!) - age(rec[b]!));
  for (const k of keys.slice(0, keys.length - max)) delete rec[k];
}

/**
 * Dashboard sessions and sign-in failures, in the shared document `sessions` (a file, or Redis so that every
 * api node knows every session and every lockout). A session id is 32 random bytes, kept only as its
 * SHA-256; a session's last request is written at most every minute (a quarter of the idle time when shorter).
 */
export class SessionStore {
  private constructor(private readonly doc: JsonDoc<SessionsFile>, private readonly times: SessionTimes) {}

  static async open(opts: SharedDocOptions, times: SessionTimes): Promise<SessionStore> {
    const doc = await JsonDoc.open('sessions', opts, SessionsFile, () => ({ version: 1 as const, sessions: {}, users: {}, addresses: {} }), 'a sessions file');
    return new SessionStore(doc, times);
  }

  close(): Promise<void> {
    return this.doc.close();
  }

  private alive(s: Session, now: number): boolean {
    return now - s.last_seen < this.times.idleMs && now - s.created < this.times.maxMs;
  }

  private view(s: Session): LiveSession {
    return {
      user: s.user, csrf: s.csrf, created: s.created, idleExpires: Math.min(s.last_seen + this.times.idleMs, s.created + this.times.maxMs), expires: s.created + this.times.maxMs,
      ...(s.role && { role: s.role }), ...(s.name !== undefined && { name: s.name }),
    };
  }

  /** A new session for `user` (a person of the identity provider with `external`): its id (for the cookie, never stored) and what it is. */
  async create(user: string, address: string | null, external?: ExternalPerson): Promise<{ id: string; session: LiveSession }> {
    const id = randomBytes(32).toString('base64url');
    const now = Date.now();
    const s: Session = { user, csrf: randomBytes(32).toString('base64url'), created: now, last_seen: now, address, ...external };
    await this.doc.mutate((f) => {
      for (const [k, v] of Object.entries(f.sessions)) if (!this.alive(v, now)) delete f.sessions[k];
      f.sessions[sha256(id)] = s;
      bound(f.sessions, MAX_SESSIONS, (v) => v.last_seen);
    });
    return { id, session: this.view(s) };
  }

  /**
   * The live session of this id, or null (unknown, idle too long, or past its absolute end). A request
   * counts as activity: the last request is written now and then, in the background.
   */
  get(id: string): LiveSession | null {
    const key = sha256(id);
    const s = this.doc.value().sessions[key];
    const now = Date.now();
    if (!s || !this.alive(s, now)) return null;
    if (now - s.last_seen > Math.min(60_000, this.times.idleMs / 4)) {
      this.doc.mutate((f) => {
        const cur = f.sessions[key];
        if (cur) cur.last_seen = Math.max(cur.last_seen, now);
      }).catch(() => {});
      return this.view({ ...s, last_seen: now });
    }
    return this.view(s);
  }

  /** The key that signs the OpenID Connect sign-in cookie: made once, then the same for every node that shares this document. */
  async loginKey(): Promise<Buffer> {
    const have = this.doc.value().login_key;
    const key = have ?? await this.doc.mutate((f) => (f.login_key ??= randomBytes(32).toString('base64url')));
    return Buffer.from(key, 'base64url');
  }

  /** Ends a session; false when there was none. */
  async end(id: string): Promise<boolean> {
    const key = sha256(id);
    return this.doc.mutate((f) => {
      const had = key in f.sessions;
      delete f.sessions[key];
      return had;
    });
  }

  /** When the user name or the address may try again (epoch ms), or null when neither is locked. */
  lockedUntil(user: string, address: string | null): number | null {
    const f = this.doc.value();
    const now = Date.now();
    const until = [f.users[user]?.until, address ? f.addresses[address]?.until : undefined].filter((u): u is number => typeof u === 'number' && u > now);
    return until.length ? Math.max(...until) : null;
  }

  /** Counts a failed sign-in of `user` from `address`; true when it locked either. */
  async fail(user: string, address: string | null): Promise<boolean> {
    const now = Date.now();
    const count = (rec: Record<string, Failures>, key: string, max: number): boolean => {
      let e = rec[key];
      // Failures older than a lock's length are forgotten; so is a lock that has ended.
      if (!e || now - e.first > LOCKOUT.lockMs || (e.until !== null && e.until <= now)) e = { count: 0, first: now, until: null };
      e.count++;
      if (e.count >= max) e.until = now + LOCKOUT.lockMs;
      rec[key] = e;
      bound(rec, MAX_FAILURE_KEYS, (v) => v.first);
      return e.until !== null;
    };
    return this.doc.mutate((f) => {
      const byUser = count(f.users, user, LOCKOUT.perUser);
      const byAddress = address !== null && count(f.addresses, address, LOCKOUT.perAddress);
      return byUser || byAddress;
    });
  }

  /** A good sign-in forgets the user's failures (not the address's: one known account must not reset them). */
  async succeeded(user: string): Promise<void> {
    if (!(user in this.doc.value().users)) return;
    await this.doc.mutate((f) => { delete f.users[user]; });
  }
}
