/**
 * Sign-in with OpenID Connect on the real hub (`cityhub start`) against a real provider (`oidc-provider`):
 * the provider down at start (503, the hub ready all the same), then the whole Authorization Code flow with
 * PKCE over plain HTTP (fetch, manual redirects, a cookie jar), roles from groups, acknowledging an alert
 * with the session's CSRF token, a state that does not match, a refusal by the provider, and sign-out.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, waitFor, type TestHub } from './harness.js';
import { auditLog, clearedAlert, operatorToken } from './people.js';
import { Browser, CLIENT_ID, CLIENT_SECRET, freePort, startProvider, type TestProvider } from './oidc-provider.js';

const CALLBACK = '/api/v1/session/oidc/callback';
const LOGIN = '/api/v1/session/oidc/login';


describe('signing in with OpenID Connect (a real provider, the real hub)', () => {
  let hub: TestHub;
  /** A hub that refuses people in none of its groups (CITYHUB_OIDC_DEFAULT_ROLE=none). */
  let strict: TestHub;
  let secrets: string | undefined;
  let provider: TestProvider;
  let port: number;
  let token: string;
  let alert: string;
  const audit = (q = '') => auditLog(hub, token, q);
  const userOf = (sub: string) => `oidc:127.0.0.1:${port}:${sub}`;
  /** Signs `person` in at the provider from a fresh browser; stops before the callback when `atCallback`. */
  const signInAt = async (person: string, opts: { returnTo?: string; atCallback?: boolean; on?: TestHub } = {}) => {
    provider.next.person = person;
    const b = new Browser();
    const on = opts.on ?? hub;
    const start = `${on.httpUrl}${LOGIN}${opts.returnTo ? `?returnTo=${encodeURIComponent(opts.returnTo)}` : ''}`;
    const isHub = (u: URL) => u.origin === on.httpUrl;
    const r = await b.follow(start, (u) => isHub(u) && (opts.atCallback ? u.pathname === CALLBACK : !u.pathname.startsWith('/api/v1/session/oidc/')));
    return { b, ...r };
  };
  const session = async (b: Browser, on = hub) => {
    const r = await b.request(`${on.httpUrl}/api/v1/session`);
    return { status: r.status, body: r.status === 200 ? (await r.json()) as Record<string, unknown> : null };
  };

  beforeAll(async () => {
    port = await freePort();
    const env = {
      CITYHUB_OIDC_ISSUER: `http://127.0.0.1:${port}`, CITYHUB_OIDC_CLIENT_ID: CLIENT_ID, CITYHUB_OIDC_CLIENT_SECRET: CLIENT_SECRET,
      CITYHUB_OIDC_SCOPES: 'openid profile email groups', CITYHUB_OIDC_OPERATOR_VALUES: 'cityhub-operators,duty-officers',
      CITYHUB_OIDC_ADMIN_VALUES: 'cityhub-admins', CITYHUB_OIDC_NAME: 'Thessaloniki ID',
    };
    // The strict hub reads its client secret from a file (a Docker secret), as CITYHUB_OIDC_CLIENT_SECRET_FILE allows.
    secrets = await mkdtemp(join(tmpdir(), 'cityhub-oidc-'));
    const file = join(secrets, 'client-secret');
    await writeFile(file, `${CLIENT_SECRET}\n`, { mode: 0o400 });
    const { CITYHUB_OIDC_CLIENT_SECRET: _inline, ...withoutSecret } = env;
    [hub, strict] = await Promise.all([
      startHub({ env }), startHub({ env: { ...withoutSecret, CITYHUB_OIDC_CLIENT_SECRET_FILE: file, CITYHUB_OIDC_DEFAULT_ROLE: 'none' } }),
    ]);
    token = await operatorToken(hub);
    alert = await clearedAlert(hub, 'building-rotunda');
  });
  afterAll(async () => {
    await Promise.all([hub?.stop(), strict?.stop()]);
    await provider?.close();
    if (secrets) await rm(secrets, { recursive: true, force: true });
  });

  it('while the provider cannot be reached: the sign-in answers 503 with the reason, the hub stays ready, the failure is logged', async () => {
    const config = await hub.get<{ oidc?: unknown }>('/api/v1/config');
    expect(config.body.oidc).toEqual({ name: 'Thessaloniki ID', login: LOGIN, logout: '/api/v1/session/oidc/logout' });
    const r = await fetch(hub.httpUrl + LOGIN, { redirect: 'manual' });
    expect(r.status).toBe(503);
    expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(/sign-in with Thessaloniki ID is unavailable: the identity provider http:\/\/127\.0\.0\.1:\d+ could not be discovered \(fetch failed: .*ECONNREFUSED/);
    expect(r.headers.getSetCookie()).toEqual([]);
    expect((await fetch(`${hub.httpUrl}/readyz`)).status).toBe(200);
    expect(hub.output()).toContain('OpenID Connect discovery failed');
    provider = await startProvider(port, [hub.httpUrl + CALLBACK, strict.httpUrl + CALLBACK]);
    // Once the provider is up, a sign-in finds it (tried again at once, at most once a second).
    for (const h of [hub, strict]) await waitFor(async () => ((await fetch(h.httpUrl + LOGIN, { redirect: 'manual' })).status === 303 ? true : undefined), 10_000, 'the provider discovered');
  });

  it('an operator signs in through the provider: PKCE, state and nonce, the session cookie, the role from the groups', async () => {
    const first = await new Browser().request(`${hub.httpUrl}${LOGIN}?returnTo=${encodeURIComponent('/?view=alerts')}`);
    expect(first.status).toBe(303);
    const to = new URL(first.headers.get('location')!);
    expect(to.origin).toBe(`http://127.0.0.1:${port}`);
    expect(Object.fromEntries(to.searchParams)).toMatchObject({
      client_id: CLIENT_ID, response_type: 'code', code_challenge_method: 'S256', redirect_uri: hub.httpUrl + CALLBACK, scope: 'openid profile email groups',
    });
    for (const p of ['state', 'nonce', 'code_challenge']) expect(to.searchParams.get(p)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.headers.getSetCookie()[0]).toMatch(/^cityhub_oidc=[^;]+; Max-Age=600; Path=\/api\/v1\/session\/oidc; HttpOnly; SameSite=Lax$/);

    const { b, stoppedAt, res } = await signInAt('op-1', { returnTo: '/?view=alerts' });
    expect(stoppedAt?.href).toBe(`${hub.httpUrl}/?view=alerts`);
    expect(res.headers.getSetCookie().find((c) => c.startsWith('cityhub_session='))).toMatch(/; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(b.cookie(hub.httpUrl, 'cityhub_oidc')).toBeUndefined();
    const s = await session(b);
    expect(s.status).toBe(200);
    expect(s.body).toMatchObject({ user: userOf('op-1'), name: 'Olga Operator', role: 'operator' });
    const ok = await audit(`&action=signin_ok&who=${encodeURIComponent(userOf('op-1'))}`);
    expect(ok[0]).toMatchObject({ who: userOf('op-1'), method: 'oidc' });

    // The session's CSRF token acknowledges the cleared alert; without it, 403.
    const path = `${hub.httpUrl}/api/v1/alerts/${encodeURIComponent(alert)}/ack`;
    const body = JSON.stringify({ comment: 'checked with the provider account' });
    const noCsrf = await b.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(noCsrf.status).toBe(403);
    const acked = await b.request(path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': String(s.body!.csrf_token) }, body });
    expect(acked.status).toBe(200);
    expect(await acked.json()).toMatchObject({ state: 'acknowledged', by: userOf('op-1') });
    expect((await audit('&action=alert_acknowledged'))[0]).toMatchObject({ who: userOf('op-1'), alert });

    // Sign-out ends the session here; then the provider's sign-out (RP-initiated logout) comes back to the dashboard.
    expect((await b.request(`${hub.httpUrl}/api/v1/session`, { method: 'DELETE', headers: { 'x-csrf-token': String(s.body!.csrf_token) } })).status).toBe(204);
    expect((await session(b)).status).toBe(204);
    const out = await b.request(`${hub.httpUrl}/api/v1/session/oidc/logout`);
    expect(out.status).toBe(303);
    const end = new URL(out.headers.get('location')!);
    expect(end.origin).toBe(`http://127.0.0.1:${port}`);
    expect(Object.fromEntries(end.searchParams)).toEqual({ client_id: CLIENT_ID, post_logout_redirect_uri: `${hub.httpUrl}/` });
    // The provider accepts it: its page asks whether to sign out there too.
    expect((await b.request(end.href)).status).toBe(200);
  });

  it('someone in none of the mapped groups is a viewer and may not acknowledge; an admin group makes an admin', async () => {
    const viewer = await signInAt('view-1');
    expect(viewer.stoppedAt?.pathname).toBe('/');
    const s = await session(viewer.b);
    expect(s.body).toMatchObject({ user: userOf('view-1'), name: 'Victor Viewer', role: 'viewer' });
    const ack = await viewer.b.request(`${hub.httpUrl}/api/v1/alerts/${encodeURIComponent(alert)}/ack`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': String(s.body!.csrf_token) }, body: '{}',
    });
    expect(ack.status).toBe(403);
    expect(((await ack.json()) as { error: { message: string } }).error.message).toContain(`${userOf('view-1')} has viewer`);
    const admin = await signInAt('adm-1');
    // No `name` claim: the preferred user name names the person.
    expect((await session(admin.b)).body).toMatchObject({ user: userOf('adm-1'), name: 'adam', role: 'admin' });
  });

  it('refuses a state that does not match, a refusal by the provider and a callback without its cookie: no session, each audited', async () => {
    const at = await signInAt('op-1', { atCallback: true });
    const forged = new URL(at.stoppedAt!);
    forged.searchParams.set('state', 'a-state-this-browser-never-sent');
    const bad = await at.b.request(forged.href);
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/the sign-in could not be verified: .*"state"/);
    expect(bad.headers.getSetCookie().some((c) => c.startsWith('cityhub_session='))).toBe(false);
    expect((await session(at.b)).status).toBe(204);
    // The genuine callback cannot be replayed either: its cookie was cleared by the first attempt.
    const again = await at.b.request(at.stoppedAt!.href);
    expect(again.status).toBe(400);

    const denied = await signInAt('deny');
    expect(denied.res.status).toBe(401);
    expect(((await denied.res.json()) as { error: { message: string } }).error.message).toBe('the identity provider refused the sign-in: access_denied: the person declined');
    expect((await session(denied.b)).status).toBe(204);

    const failed = (await audit('&action=signin_failed')).filter((e) => e.method === 'oidc');
    expect(failed.map((e) => e.reason)).toEqual(expect.arrayContaining([
      expect.stringMatching(/the identity provider refused the sign-in: access_denied/), expect.stringMatching(/no sign-in was started/), expect.stringMatching(/"state"/),
    ]));
  });

  it('with CITYHUB_OIDC_DEFAULT_ROLE=none, someone in none of the groups is refused (403, no session, audited); an operator is let in (the secret from a file)', async () => {
    const refused = await signInAt('view-1', { on: strict });
    expect(refused.res.status).toBe(403);
    expect(((await refused.res.json()) as { error: { message: string } }).error.message).toBe('Victor Viewer has no role on this hub: the provider\'s "groups" claim names none of its admin or operator groups');
    expect((await session(refused.b, strict)).status).toBe(204);
    const strictToken = await operatorToken(strict);
    expect((await auditLog(strict, strictToken, '&action=signin_failed'))[0]).toMatchObject({ who: userOf('view-1'), method: 'oidc', reason: expect.stringContaining('has no role') as unknown });
    const op = await signInAt('op-1', { on: strict });
    expect((await session(op.b, strict)).body).toMatchObject({ user: userOf('op-1'), role: 'operator' });
  });

  it('takes only a path of this hub as the place to return to', async () => {
    for (const returnTo of ['//evil.example/', 'https://evil.example/', '/\\evil.example', `/${'a'.repeat(512)}`]) {
      const r = await fetch(`${hub.httpUrl}${LOGIN}?returnTo=${encodeURIComponent(returnTo)}`, { redirect: 'manual' });
      expect(r.status, returnTo).toBe(400);
    }
  });
});
