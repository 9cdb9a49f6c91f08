import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { cookieOf, setCookie } from '../auth.js';

/** The cookie that carries a started OpenID Connect sign-in from the login route to the callback. */
export const LOGIN_COOKIE = 'cityhub_oidc';
/** Where it is sent: the two OpenID Connect routes only. */
const LOGIN_PATH = '/api/v1/session/oidc';
/** How long a started sign-in may take at the provider. */
export const LOGIN_TTL_MS = 10 * 60_000;

/** What the callback checks: the state and nonce sent, the PKCE verifier, the redirect URI used, where to go after. */
export const PendingLogin = z.object({
  state: z.string(), nonce: z.string(), verifier: z.string(), redirectUri: z.string(), returnTo: z.string(), exp: z.number(),
});
export type PendingLogin = z.infer<typeof PendingLogin>;

const mac = (key: Buffer, body: string) => createHmac('sha256', key).update(body).digest();

/** The cookie's value: the pending sign-in as base64url JSON, then `.` and its HMAC-SHA-256. */
export function sealLogin(key: Buffer, p: PendingLogin): string {
  const body = Buffer.from(JSON.stringify(p)).toString('base64url');
  return `${body}.${mac(key, body).toString('base64url')}`;
}

/** The pending sign-in of a cookie's value, or null: not signed by `key`, malformed, or past its time. */
export function openLogin(key: Buffer, value: string): PendingLogin | null {
  const [body, sig, ...rest] = value.split('.');
  if (!body || !sig || rest.length) return null;
  const want = mac(key, body);
  const got = Buffer.from(sig, 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return null;
  try {
    const p = PendingLogin.safeParse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
    return p.success && p.data.exp > Date.now() ? p.data : null;
  } catch {
    return null;
  }
}

/** The sign-in cookie of the request, or null. */
export const loginCookieOf = (req: FastifyRequest): string | null => cookieOf(req, LOGIN_COOKIE);

/**
 * Sets (or, with null, clears) the sign-in cookie: HttpOnly, `SameSite=Lax` (the provider's redirect back is a
 * cross-site navigation, which a Strict cookie would miss), only for the OpenID Connect routes, for 10 minutes.
 */
export function setLoginCookie(req: FastifyRequest, reply: FastifyReply, value: string | null): void {
  setCookie(req, reply, { name: LOGIN_COOKIE, value, maxAgeS: LOGIN_TTL_MS / 1000, path: LOGIN_PATH, sameSite: 'Lax' });
}
