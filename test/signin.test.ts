/**
 * People sign in to the real hub (`cityhub start`, users made with the real `cityhub users`): sessions in a
 * cookie, CSRF on what changes something, roles, lockout, idle and absolute expiry (short values), the audit
 * log, and an operator acknowledging a cleared alert with a comment.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, waitFor, type TestHub } from './harness.js';
import { asSession, auditLog, clearedAlert, operatorToken, session, signIn, users, type SignedIn } from './people.js';

const OPERATOR_PW = 'correct horse battery staple';
const VIEWER_PW = 'a viewer reads only';
/** CITYHUB_SESSION_IDLE_MIN and CITYHUB_SESSION_MAX_H of this hub, in ms. */
const IDLE_MS = 6_000;
const MAX_MS = 21_600;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const from = (address: string) => ({ 'x-forwarded-for': address });

describe('signing in to the real hub', () => {
  let hub: TestHub;
  let token: string;
  let alert: string;
  const audit = (q = '') => auditLog(hub, token, q);

  beforeAll(async () => {
    hub = await startHub({ env: { CITYHUB_SESSION_IDLE_MIN: String(IDLE_MS / 60_000), CITYHUB_SESSION_MAX_H: String(MAX_MS / 3_600_000), CITYHUB_TRUST_PROXY: 'true' } });
    await users(hub, ['add', 'ana', '--role', 'operator'], OPERATOR_PW);
    await users(hub, ['add', 'vic', '--role', 'viewer'], VIEWER_PW);
    await users(hub, ['add', 'bob', '--role', 'operator'], 'bob has a long password');
    token = await operatorToken(hub);
    alert = await clearedAlert(hub, 'building-rotunda');
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it('keeps users with a scrypt hash, never the password, and lists them without it', async () => {
    const list = JSON.parse((await users(hub, ['list', '--json'])).stdout) as Array<Record<string, unknown>>;
    expect(list.map((u) => [u.name, u.role, u.enabled])).toEqual([['ana', 'operator', true], ['vic', 'viewer', true], ['bob', 'operator', true]]);
    expect(JSON.stringify(list)).not.toContain('scrypt');
    const file = await readFile(`${hub.dataDir}/registry/users.json`, 'utf8');
    expect(file).toMatch(/"password_hash":"scrypt\$16384\$8\$1\$/);
    expect(file).not.toContain(OPERATOR_PW);
    expect(hub.output()).not.toContain(OPERATOR_PW);
    const short = await users(hub, ['add', 'eve', '--role', 'viewer'], 'short').catch((e: { code: number; stderr: string }) => e);
    expect(short).toMatchObject({ code: 2, stderr: expect.stringContaining('at least 12 characters') as unknown });
  });

  it('signs in: an HttpOnly, SameSite=Strict cookie, the CSRF token, and the session at GET /session', async () => {
    const s = await session(hub, 'ana', OPERATOR_PW, from('198.51.100.1'));
    expect(s.setCookie).toMatch(/^cityhub_session=[A-Za-z0-9_-]{43}; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(s.body).toMatchObject({ user: 'ana', role: 'operator', csrf_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) as unknown });
    const now = await asSession(hub, s, '/api/v1/session');
    expect(now.status).toBe(200);
    expect(await now.json()).toMatchObject({ user: 'ana', role: 'operator', csrf_token: s.csrf });
    expect((await fetch(`${hub.httpUrl}/api/v1/session`)).status).toBe(204);
    // Behind a trusted proxy that says the client came over HTTPS, the cookie is Secure.
    const tls = await session(hub, 'ana', OPERATOR_PW, { ...from('198.51.100.1'), 'x-forwarded-proto': 'https' });
    expect(tls.setCookie).toMatch(/; Secure$/);
  });

  it('refuses a wrong password and an unknown user alike (401), and audits both', async () => {
    const wrong = await signIn(hub, 'ana', 'not the password at all', from('198.51.100.2'));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.getSetCookie()).toEqual([]);
    const unknown = await signIn(hub, 'nobody', 'not the password at all', from('198.51.100.2'));
    expect(unknown.status).toBe(401);
    const body = { error: { code: 'UNAUTHORIZED', message: 'wrong user name or password' } };
    expect([await wrong.json(), await unknown.json()]).toEqual([body, body]);
    const failed = await audit('&action=signin_failed');
    expect(failed.filter((e) => e.address === '198.51.100.2').map((e) => e.who).sort()).toEqual(['ana', 'nobody']);
  });

  it('an operator acknowledges a cleared alert with a comment; the alert list and the audit log show it', async () => {
    const s = await session(hub, 'ana', OPERATOR_PW, from('198.51.100.3'));
    const path = `/api/v1/alerts/${encodeURIComponent(alert)}/ack`;
    // A token is unaffected by CSRF, even with a session cookie beside it.
    const byToken = await fetch(hub.httpUrl + path, { method: 'POST', headers: { authorization: `Bearer ${token}`, cookie: s.cookie } });
    expect(byToken.status).toBe(200);
    await sleep(20);
    expect((await asSession(hub, s, path, { method: 'POST', body: { comment: 'x' }, csrf: null })).status).toBe(403);
    expect((await asSession(hub, s, path, { method: 'POST', body: { comment: 'x' }, csrf: 'not-the-token' })).status).toBe(403);
    const ok = await asSession(hub, s, path, { method: 'POST', body: { comment: 'meter checked on site, tenant event' } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ state: 'acknowledged', by: 'ana', message: 'acknowledged by ana: meter checked on site, tenant event' });
    const listed = await waitFor(async () => (await hub.get<{ items: Array<Record<string, unknown>> }>('/api/v1/alerts?state=cleared')).body.items
      .find((a) => a.id === alert && a.acknowledged_by === 'ana'), 5_000, 'the acknowledgement in the list');
    expect(listed).toMatchObject({ status: 'cleared', acknowledged_comment: 'meter checked on site, tenant event' });
    const acks = await audit('&action=alert_acknowledged');
    expect(acks[0]).toMatchObject({ who: 'ana', alert, comment: 'meter checked on site, tenant event', address: '198.51.100.3' });
    expect(acks[1]).toMatchObject({ who: expect.stringMatching(/^token:[0-9a-f]{8}$/) as unknown, alert });
  });

  it('a viewer signs in and reads, but may not acknowledge (403) nor read the audit log', async () => {
    const s = await session(hub, 'vic', VIEWER_PW, from('198.51.100.4'));
    expect(s.body).toMatchObject({ role: 'viewer' });
    const ack = await asSession(hub, s, `/api/v1/alerts/${encodeURIComponent(alert)}/ack`, { method: 'POST', body: { comment: 'no' } });
    expect(ack.status).toBe(403);
    expect(((await ack.json()) as { error: { message: string } }).error.message).toMatch(/needs the operator role; vic has viewer/);
    expect((await asSession(hub, s, '/api/v1/audit')).status).toBe(403);
    expect((await asSession(hub, s, '/api/v1/alerts?state=all')).status).toBe(200);
  });

  it('locks a user name after 5 failures, even for the right password, and audits it', async () => {
    for (let i = 0; i < 5; i++) expect((await signIn(hub, 'bob', `wrong password ${i}`, from('198.51.100.5'))).status).toBe(401);
    const locked = await signIn(hub, 'bob', 'bob has a long password', from('198.51.100.6'));
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(800);
    expect((await audit('&who=bob')).map((e) => e.action).slice(0, 2)).toEqual(['signin_locked', 'signin_failed']);
    // Another user is not locked.
    expect((await signIn(hub, 'ana', OPERATOR_PW, from('198.51.100.6'))).status).toBe(200);
  });

  it('locks an address after 20 failures, for every name', async () => {
    for (let i = 0; i < 20; i++) expect((await signIn(hub, `guess-${i}`, 'not a password at all', from('203.0.113.9'))).status).toBe(401);
    expect((await signIn(hub, 'ana', OPERATOR_PW, from('203.0.113.9'))).status).toBe(429);
    expect((await signIn(hub, 'ana', OPERATOR_PW, from('203.0.113.10'))).status).toBe(200);
  });

  it('signs out with the CSRF token only; the session then ends and the sign-out is audited', async () => {
    const s = await session(hub, 'ana', OPERATOR_PW, from('198.51.100.7'));
    expect((await asSession(hub, s, '/api/v1/session', { method: 'DELETE', csrf: null })).status).toBe(403);
    const out = await asSession(hub, s, '/api/v1/session', { method: 'DELETE' });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie()[0]).toMatch(/^cityhub_session=; Max-Age=0; Path=\/; HttpOnly; SameSite=Strict$/);
    expect((await asSession(hub, s, '/api/v1/session')).status).toBe(204);
    expect((await asSession(hub, s, '/api/v1/audit')).status).toBe(401);
    expect((await audit('&action=signout'))[0]).toMatchObject({ who: 'ana', address: '198.51.100.7' });
  });

  it('ends a session at its next request once its user is disabled or their password changed', async () => {
    const s = await session(hub, 'vic', VIEWER_PW, from('198.51.100.8'));
    await users(hub, ['passwd', 'vic'], 'a new viewer password');
    expect((await asSession(hub, s, '/api/v1/session')).status).toBe(204);
    const again = await session(hub, 'vic', 'a new viewer password', from('198.51.100.8'));
    await users(hub, ['disable', 'vic']);
    expect((await asSession(hub, again, '/api/v1/session')).status).toBe(204);
    expect((await signIn(hub, 'vic', 'a new viewer password', from('198.51.100.8'))).status).toBe(401);
  });

  it('ends a session after the idle time without requests', async () => {
    const s = await session(hub, 'ana', OPERATOR_PW, from('198.51.100.9'));
    await sleep(IDLE_MS + 1_000);
    expect((await asSession(hub, s, '/api/v1/session')).status).toBe(204);
    expect((await asSession(hub, s, `/api/v1/alerts/${encodeURIComponent(alert)}/ack`, { method: 'POST', body: {} })).status).toBe(401);
  });

  it('ends a busy session at its absolute end', async () => {
    const s: SignedIn = await session(hub, 'ana', OPERATOR_PW, from('198.51.100.10'));
    const start = Date.now();
    // A request every 1.5 s keeps it from idling; it still ends MAX_MS after sign-in.
    while (Date.now() - start < MAX_MS - 2_000) {
      expect((await asSession(hub, s, '/api/v1/session')).status, `${Date.now() - start} ms after sign-in`).toBe(200);
      await sleep(1_500);
    }
    await sleep(Math.max(0, start + MAX_MS + 500 - Date.now()));
    expect((await asSession(hub, s, '/api/v1/session')).status).toBe(204);
  }, 60_000);
});
