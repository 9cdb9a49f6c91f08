import { z } from 'zod';
import { DateTime } from './api.js';
import { Role } from './registry.js';

/** A person's sign-in name: letters, digits and `._@-`, 1–64 characters. */
export const USER_NAME_PATTERN = /^[A-Za-z0-9._@-]{1,64}$/;

/** A person who signs in to the dashboard, as the users document keeps them: only a scrypt hash of the password. */
export const UserRecord = z.object({
  name: z.string().regex(USER_NAME_PATTERN),
  role: Role,
  /** `scrypt$N$r$p$saltB64$hashB64` */
  password_hash: z.string(),
  enabled: z.boolean(),
  created_at: z.string(),
  /** When the password was last set: sessions signed in before it end. */
  password_set_at: z.string(),
});
export type UserRecord = z.infer<typeof UserRecord>;

/** What the audit log records. */
export const AuditAction = z.enum(['signin_ok', 'signin_failed', 'signin_locked', 'signout', 'alert_acknowledged']);
export type AuditAction = z.infer<typeof AuditAction>;

/** One entry of the audit log: who did what, when, from where. */
export const AuditEntry = z.object({
  at: DateTime,
  action: AuditAction,
  /** A user name, or `token:<id>` for an API token. */
  who: z.string(),
  /** The client address (as the proxy told it, with CITYHUB_TRUST_PROXY). */
  address: z.string().nullable(),
  /** The alert acknowledged. */
  alert: z.string().optional(),
  comment: z.string().optional(),
  /** How a person signed in: a local account's password, or OpenID Connect (absent: a password). */
  method: z.enum(['password', 'oidc']).optional(),
  /** Why a sign-in failed, when the hub can tell (OpenID Connect: the provider's error, a state that did not match, no role). */
  reason: z.string().optional(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

/** `GET /api/v1/session` and the answer of a sign-in: who is signed in, the CSRF token and when the session ends. */
export const SessionView = z.object({
  /** The user name, or `oidc:<issuer host>:<subject>` for a person signed in with OpenID Connect. */
  user: z.string(),
  /** The person's name as the identity provider gives it (OpenID Connect sign-in only). */
  name: z.string().optional(),
  role: Role,
  /** Send it as `x-csrf-token` with every state-changing request this session makes. */
  csrf_token: z.string(),
  /** When the session ends if no request comes first (idle expiry). */
  idle_expires_at: DateTime,
  /** When the session ends whatever happens (absolute expiry). */
  expires_at: DateTime,
});
export type SessionView = z.infer<typeof SessionView>;
