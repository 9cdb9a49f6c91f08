import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { setSessionCookie } from '../auth.js';
import type { ApiDeps, PeopleDeps } from '../deps.js';
import { ApiError, type ApiErrorCode } from '../errors.js';
import { personOf, roleOf, type OidcClient } from '../oidc/client.js';
import { LOGIN_TTL_MS, loginCookieOf, openLogin, sealLogin, setLoginCookie } from '../oidc/cookie.js';
import { ANONYMOUS, errors, noContent } from '../responses.js';

/** Where the provider sends people back, below the API's prefix. */
export const OIDC_CALLBACK_PATH = '/api/v1/session/oidc/callback';
/** Where the dashboard's "Sign in with …" button goes. */
export const OIDC_LOGIN_PATH = '/api/v1/session/oidc/login';
/** A path of this hub (never `//host` nor `/\host`, which browsers read as another host), at most 512 characters. */
const SAME_ORIGIN_PATH = /^\/(?![/\\])[^\s\\]{0,511}$/;

const Callback = z.looseObject({
  code: z.string().max(4_096).optional(),
  state: z.string().max(1_024).optional(),
  iss: z.string().max(1_024).optional(),
  error: z.string().max(256).optional(),
  error_description: z.string().max(4_096).optional(),
});

/** Where the provider sends people back after signing out at it: the dashboard. */
export const OIDC_LOGOUT_PATH = '/api/v1/session/oidc/logout';

/** The request's query string, as the provider sent it. */
const queryOf = (req: FastifyRequest) => {
  const i = req.url.indexOf('?');
  return i < 0 ? '' : req.url.slice(i);
};

/** The hub's address as people reach it: the configured redirect URL's base, else the request's. */
function base(c: OidcClient, req: FastifyRequest): string {
  const r = c.settings.redirectUrl;
  if (!r) return `${req.protocol}://${req.host}`;
  return r.endsWith(OIDC_CALLBACK_PATH) ? r.slice(0, -OIDC_CALLBACK_PATH.length) : new URL(r).origin;
}

/**
 * `/session/oidc/login` and `/session/oidc/callback`: sign-in with the city's OpenID Connect provider (the
 * Authorization Code flow with PKCE), which ends in the same session cookie and CSRF token as a password.
 */
export const oidcRoutes = (client: OidcClient | undefined): FastifyPluginAsyncZod<ApiDeps> => async (app, deps) => {
  const need = (): { client: OidcClient; people: PeopleDeps } => {
    if (!client) throw new ApiError('NOT_FOUND', 'this hub offers no OpenID Connect sign-in (CITYHUB_OIDC_ISSUER is not set)');
    if (!deps.people) throw new ApiError('UNAVAILABLE', 'this hub has no sign-in: use an API token');
    return { client, people: deps.people };
  };

  app.get('/session/oidc/login', {
    schema: {
      operationId: 'oidcLogin', summary: 'Sign in with OpenID Connect: to the identity provider', tags: ['sign-in'], security: ANONYMOUS,
      description: 'Redirects (303) to the provider\'s sign-in page, with a state, a nonce and a PKCE challenge (S256) that the ' +
        'short-lived cookie `cityhub_oidc` (HttpOnly, SameSite=Lax, 10 minutes) keeps for the callback. `404` when the hub has no ' +
        'OpenID Connect sign-in (`CITYHUB_OIDC_ISSUER`), `503` while the provider cannot be reached.',
      querystring: z.strictObject({
        returnTo: z.string().regex(SAME_ORIGIN_PATH, 'a path of this hub, such as /?view=alerts').optional()
          .describe('Where the dashboard opens after the sign-in (a path of this hub; default `/`)'),
      }),
      response: { 303: noContent('To the identity provider'), ...errors(400, 404, 429, 503) },
    },
  }, async (req, reply) => {
    const { client, people } = need();
    const redirectUri = client.settings.redirectUrl ?? `${base(client, req)}${OIDC_CALLBACK_PATH}`;
    const { url, pending } = await client.begin(redirectUri, req.query.returnTo ?? '/', LOGIN_TTL_MS);
    setLoginCookie(req, reply, sealLogin(await people.loginKey(), pending));
    return reply.redirect(url, 303);
  });

  app.get('/session/oidc/logout', {
    schema: {
      operationId: 'oidcLogout', summary: 'After signing out: the provider\'s sign-out, then back to the dashboard', tags: ['sign-in'], security: ANONYMOUS,
      description: 'Ends nothing at the hub (`DELETE /api/v1/session` does, with the CSRF token): redirects (303) to the provider\'s ' +
        'end-session endpoint (RP-initiated logout, with `client_id` and the hub\'s `/` as `post_logout_redirect_uri`), or to `/` ' +
        'when the provider has none or cannot be reached.',
      response: { 303: noContent('To the provider\'s sign-out, or to the dashboard'), ...errors(404, 429, 503) },
    },
  }, async (req, reply) => {
    const { client } = need();
    return reply.redirect(client.logoutUrl(`${base(client, req)}/`) ?? '/', 303);
  });

  app.get('/session/oidc/callback', {
    schema: {
      operationId: 'oidcCallback', summary: 'Where the OpenID Connect provider sends people back', tags: ['sign-in'], security: ANONYMOUS,
      description: 'Checks the state against the `cityhub_oidc` cookie, exchanges the code (with the PKCE verifier), verifies the ID ' +
        'token against the provider\'s keys and its nonce, maps the role claim to a role, then sets the session cookie and redirects ' +
        '(303) to the dashboard. A refusal by the provider, a state that does not match, a missing or expired cookie or a person ' +
        'without a role answers the error and creates no session; every attempt is in the audit log (method `oidc`).',
      querystring: Callback,
      response: { 303: noContent('Signed in: to the dashboard'), ...errors(400, 401, 403, 404, 429, 503) },
    },
  }, async (req, reply) => {
    const { client, people } = need();
    const raw = loginCookieOf(req);
    setLoginCookie(req, reply, null);
    const address = req.ip ?? null;
    const refuse = async (code: ApiErrorCode, message: string, who = `oidc:${client.issuerHost}`) => {
      await people.audit.append({ action: 'signin_failed', who, address, method: 'oidc', reason: message });
      return new ApiError(code, message);
    };
    const pending = raw ? openLogin(await people.loginKey(), raw) : null;
    if (!pending) throw await refuse('BAD_REQUEST', 'no sign-in was started from this browser, or it took longer than 10 minutes: start again');
    let claims;
    try {
      claims = await client.finish(pending, queryOf(req));
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError('INTERNAL', (err as Error).message);
      throw await refuse(e.code, e.message);
    }
    const person = personOf(claims, client.issuerHost);
    const role = roleOf(claims, client.settings);
    if (!role) throw await refuse('FORBIDDEN', `${person.name ?? person.user} has no role on this hub: the provider's "${client.settings.roleClaim}" claim names none of its admin or operator groups`, person.user);
    const r = await people.signInExternal({ ...person, role }, address);
    setSessionCookie(req, reply, r.id, (r.session.expires - Date.now()) / 1000);
    return reply.redirect(pending.returnTo, 303);
  });
};
