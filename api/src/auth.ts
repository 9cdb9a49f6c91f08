import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Role } from '@cityhub/contracts';
import type { ApiDeps, PersonSession } from './deps.js';
import { ApiError } from './errors.js';

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };
/** The cookie that carries a dashboard session's id. */
export const SESSION_COOKIE = 'cityhub_session';
/** The header a session's state-changing requests carry its CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';
/** Methods that change nothing: no CSRF token needed. */
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Who made a request: an API token (`id` its id) or a person's session (`id` the user name). */
export interface Caller { id: string; role: Role; via: 'token' | 'session' }

/** The token of a request: `Authorization: Bearer <token>`, or `?token=` where a header cannot be set (WebSocket in a browser). */
export function tokenOf(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (h) {
    const m = /^Bearer\s+(\S+)$/i.exec(h);
    return m?.[1] ?? '';
  }
  const q = (req.query as Record<string, unknown> | undefined)?.token;
  return typeof q === 'string' ? q : null;
}

/** The value of the request's cookie `name`, or null. */
export function cookieOf(req: FastifyRequest, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim() || null;
  }
  return null;
}

/** The session id in the request's cookie, or null. */
export const sessionIdOf = (req: FastifyRequest): string | null => cookieOf(req, SESSION_COOKIE);

/** The live session of the request's cookie, or null. */
export function sessionOf(deps: ApiDeps, req: FastifyRequest): PersonSession | null {
  const sid = sessionIdOf(req);
  return sid && deps.people ? deps.people.session(sid) : null;
}

const same = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** Throws 403 unless a state-changing request of a session carries the session's CSRF token. */
export function checkCsrf(req: FastifyRequest, s: PersonSession): void {
  if (SAFE.has(req.method)) return;
  const sent = req.headers[CSRF_HEADER];
  if (typeof sent !== 'string' || !same(sent, s.csrf)) {
    throw new ApiError('FORBIDDEN', `a signed-in request that changes something needs the session's CSRF token in "${CSRF_HEADER}" (GET /api/v1/session has it)`);
  }
}

/**
 * Who made the request: a bearer token (checked first; an invalid one is a 401 whatever cookie comes with
 * it), else the session of the cookie (its CSRF token checked on state-changing requests), else null.
 */
export function callerOf(deps: ApiDeps, req: FastifyRequest): Caller | null {
  const token = tokenOf(req);
  if (token !== null) {
    const who = deps.auth?.verify(token) ?? null;
    if (!who) throw new ApiError('UNAUTHORIZED', 'the API token is not valid');
    return { ...who, via: 'token' };
  }
  const s = sessionOf(deps, req);
  if (!s) return null;
  checkCsrf(req, s);
  return { id: s.user, role: s.role, via: 'session' };
}

/** Throws 401 without a valid token or session and 403 when its role is below `role` (or a session's CSRF token is missing). */
export function requireRole(deps: ApiDeps, req: FastifyRequest, role: Role): Caller {
  const who = callerOf(deps, req);
  if (!who) {
    const ended = sessionIdOf(req) !== null ? 'the session has ended: sign in again, or ' : '';
    throw new ApiError('UNAUTHORIZED', `this route needs the ${role} role: ${ended}sign in (POST /api/v1/session) or send "Authorization: Bearer <token>" (cityhub tokens add --role ${role})`);
  }
  if (RANK[who.role] < RANK[role]) throw new ApiError('FORBIDDEN', `this route needs the ${role} role; ${who.via === 'token' ? 'the token' : who.id} has ${who.role}`);
  return who;
}

/** A preHandler for a route that needs `role`. */
export const needs = (deps: ApiDeps, role: Role) => async (req: FastifyRequest) => {
  requireRole(deps, req, role);
};

/** How the audit log names a caller: the user name, or `token:<id>`. */
export const auditName = (who: Caller): string => (who.via === 'token' ? `token:${who.id}` : who.id);

/** Sets (or, with `null`, clears) the session cookie: HttpOnly, SameSite=Strict, Path=/, Secure over HTTPS (also behind a trusted proxy). */
export function setSessionCookie(req: FastifyRequest, reply: FastifyReply, id: string | null, maxAgeS = 0): void {
  setCookie(req, reply, { name: SESSION_COOKIE, value: id, maxAgeS, path: '/', sameSite: 'Strict' });
}

/** Sets (or, with a `null` value, clears) an HttpOnly cookie, Secure over HTTPS (also behind a trusted proxy). */
export function setCookie(req: FastifyRequest, reply: FastifyReply, c: { name: string; value: string | null; maxAgeS: number; path: string; sameSite: 'Strict' | 'Lax' }): void {
  const secure = req.protocol === 'https' ? '; Secure' : '';
  const value = c.value === null ? `${c.name}=; Max-Age=0` : `${c.name}=${c.value}; Max-Age=${Math.max(1, Math.floor(c.maxAgeS))}`;
  reply.header('set-cookie', `${value}; Path=${c.path}; HttpOnly; SameSite=${c.sameSite}${secure}`);
}
