import type { Logger, Role } from '@cityhub/contracts';
import type { SharedDocOptions } from '@cityhub/state';
import { AuditLog } from './audit.js';
import { SessionStore, type ExternalPerson, type LiveSession, type SessionTimes } from './sessions.js';
import { UserStore } from './users.js';

/** A live session with the user's role now. */
export interface PersonSession extends LiveSession { role: Role }

/** A person an identity provider vouched for (OpenID Connect): `user` is `oidc:<issuer host>:<subject>`. */
export interface ExternalSignIn extends ExternalPerson { user: string }

/** What a sign-in came to: a session, or why not (and, when locked, when to try again). */
export type SignInResult =
  | { ok: true; id: string; session: PersonSession }
  | { ok: false; reason: 'failed' }
  | { ok: false; reason: 'locked'; retryAfterS: number };

/**
 * People who sign in to the dashboard: their accounts, sessions, lockouts and the audit log, each a shared
 * document (files under the data directory, or Redis for every node).
 */
export class People {
  private constructor(readonly users: UserStore, readonly sessions: SessionStore, readonly audit: AuditLog, private readonly log?: Logger) {}

  static async open(opts: SharedDocOptions, times: SessionTimes): Promise<People> {
    const users = await UserStore.open(opts);
    try {
      const sessions = await SessionStore.open(opts, times);
      try {
        return new People(users, sessions, await AuditLog.open(opts), opts.logger);
      } catch (e) {
        await sessions.close();
        throw e;
      }
    } catch (e) {
      await users.close();
      throw e;
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.users.close(), this.sessions.close(), this.audit.close()]);
  }

  /** Checks a password: a session when it is right and nothing is locked; every attempt is in the audit log. */
  async signIn(name: string, password: string, address: string | null): Promise<SignInResult> {
    const locked = this.sessions.lockedUntil(name, address);
    if (locked !== null) {
      await this.audit.append({ action: 'signin_locked', who: name, address });
      return { ok: false, reason: 'locked', retryAfterS: Math.ceil((locked - Date.now()) / 1000) };
    }
    const user = await this.users.verify(name, password);
    if (!user) {
      const nowLocked = await this.sessions.fail(name, address);
      await this.audit.append({ action: 'signin_failed', who: name, address });
      if (nowLocked) this.log?.warn({ user: name, address }, 'sign-in locked after repeated failures');
      return { ok: false, reason: 'failed' };
    }
    await this.sessions.succeeded(name);
    const { id, session } = await this.sessions.create(name, address);
    await this.audit.append({ action: 'signin_ok', who: name, address });
    return { ok: true, id, session: { ...session, role: user.role } };
  }

  /**
   * A session for a person the identity provider vouched for (no local account, no password, no lockout: the
   * provider has its own), audited as a sign-in with the method `oidc`.
   */
  async signInExternal(person: ExternalSignIn, address: string | null): Promise<{ id: string; session: PersonSession }> {
    const { user, ...external } = person;
    const { id, session } = await this.sessions.create(user, address, external);
    await this.audit.append({ action: 'signin_ok', who: user, address, method: 'oidc' });
    return { id, session: { ...session, role: person.role } };
  }

  /** The key that signs the OpenID Connect sign-in cookie, shared by every api node. */
  loginKey(): Promise<Buffer> {
    return this.sessions.loginKey();
  }

  /**
   * The live session of this id with its user's role now, or null: unknown, expired, its user disabled or
   * removed, or its password changed since the sign-in. A person signed in with OpenID Connect keeps the role
   * the provider gave at sign-in until the session ends.
   */
  session(id: string): PersonSession | null {
    const s = this.sessions.get(id);
    if (!s) return null;
    if (s.role) return { ...s, role: s.role };
    const u = this.users.get(s.user);
    if (!u || !u.enabled || Date.parse(u.password_set_at) > s.created) return null;
    return { ...s, role: u.role };
  }

  /** Ends the session (audited when there was one). */
  async signOut(id: string, address: string | null): Promise<void> {
    const s = this.sessions.get(id);
    if (await this.sessions.end(id)) await this.audit.append({ action: 'signout', who: s?.user ?? 'unknown', address });
  }
}
