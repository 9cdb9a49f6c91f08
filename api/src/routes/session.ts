import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AuditAction, AuditEntry, SessionView } from '@cityhub/contracts';
import { checkCsrf, needs, sessionIdOf, sessionOf, setSessionCookie } from '../auth.js';
import type { ApiDeps, PeopleDeps, PersonSession } from '../deps.js';
import { ApiError } from '../errors.js';
import { ANONYMOUS, BEARER, errors, json, noContent } from '../responses.js';

const SESSION = [{ session: [] }];

const SignIn = z.strictObject({
  user: z.string().min(1).max(64).describe('The user name (`cityhub users add`)'),
  password: z.string().min(1).max(1_024),
});

const view = (s: PersonSession) => ({
  user: s.user, ...(s.name !== undefined && { name: s.name }), role: s.role, csrf_token: s.csrf,
  idle_expires_at: new Date(s.idleExpires).toISOString(), expires_at: new Date(s.expires).toISOString(),
});

/** A 204 with no body at all (`send(null)` would make the HEAD of the route announce JSON). */
const noBody = (reply: FastifyReply) => reply.status(204).send();

function peopleOf(deps: ApiDeps): PeopleDeps {
  if (!deps.people) throw new ApiError('UNAVAILABLE', 'this hub has no sign-in: use an API token');
  return deps.people;
}

/** `/session`: people sign in and out of the dashboard; `/audit`: what they (and tokens) did (operator). */
export const sessionRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  app.post('/session', {
    schema: {
      operationId: 'signIn', summary: 'Sign in with a user name and password', tags: ['sign-in'], security: ANONYMOUS, body: SignIn,
      description: 'Sets the session cookie and answers with the session\'s CSRF token, which every request of the session that ' +
        'changes something sends as `x-csrf-token`. A session ends after a while without requests (`CITYHUB_SESSION_IDLE_MIN`) ' +
        'and at most `CITYHUB_SESSION_MAX_H` after sign-in. After repeated failures a user name or an address is locked ' +
        '(`429` with `retry-after`), whatever the password. Every attempt is in the audit log.',
      response: { 200: json('Signed in', SessionView), ...errors(400, 401, 415, 429, 503) },
    },
  }, async (req, reply) => {
    const r = await peopleOf(deps).signIn(req.body.user, req.body.password, req.ip ?? null);
    if (!r.ok && r.reason === 'locked') {
      void reply.header('retry-after', String(r.retryAfterS));
      throw new ApiError('RATE_LIMITED', `too many failed sign-ins for this user or from this address: try again in ${r.retryAfterS} s`);
    }
    if (!r.ok) throw new ApiError('UNAUTHORIZED', 'wrong user name or password');
    setSessionCookie(req, reply, r.id, (r.session.expires - Date.now()) / 1000);
    return view(r.session);
  });

  app.get('/session', {
    schema: {
      operationId: 'getSession', summary: 'The signed-in user, their role and the session\'s CSRF token', tags: ['sign-in'], security: SESSION,
      description: 'The session of the cookie; `204` (no content) when there is none or it has ended, so that a page can ask without an error.',
      response: { 200: json('The session', SessionView), 204: noContent('Not signed in'), ...errors(429) },
    },
  }, async (req, reply) => {
    const s = sessionOf(deps, req);
    if (!s) return noBody(reply);
    return view(s);
  });

  app.delete('/session', {
    schema: {
      operationId: 'signOut', summary: 'Sign out: ends the session and clears its cookie', tags: ['sign-in'], security: SESSION,
      description: 'Needs the session\'s CSRF token (`x-csrf-token`).',
      response: { 204: noContent('Signed out'), ...errors(401, 403, 429) },
    },
  }, async (req, reply) => {
    const sid = sessionIdOf(req);
    const s = sessionOf(deps, req);
    if (!sid || !s) throw new ApiError('UNAUTHORIZED', 'not signed in');
    checkCsrf(req, s);
    await peopleOf(deps).signOut(sid, req.ip ?? null);
    setSessionCookie(req, reply, null);
    return noBody(reply);
  });

  app.get('/audit', {
    preHandler: needs(deps, 'operator'),
    schema: {
      operationId: 'listAudit', summary: 'The audit log, newest first (operator)', tags: ['sign-in'], security: BEARER,
      description: 'Sign-ins (ok, failed, locked), sign-outs and alert acknowledgements (who, when, which alert, the comment). ' +
        'The hub keeps the newest 2,000 entries.',
      querystring: z.strictObject({
        limit: z.coerce.number().int().min(1).max(2_000).default(100),
        action: AuditAction.optional(),
        who: z.string().min(1).max(320).optional().describe('A user name, `oidc:<issuer host>:<subject>`, or `token:<id>`'),
      }),
      response: { 200: json('Entries', z.object({ items: z.array(AuditEntry) })), ...errors(400, 401, 403, 429, 503) },
    },
  }, async (req) => ({ items: peopleOf(deps).audit.list(req.query) }));
};
