/** Helpers of the sign-in tests: people made with the real `cityhub users`, sessions over real HTTP, a cleared alert from real readings. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { findAsset } from '@cityhub/contracts/catalogue';
import { CLI, waitFor, type TestHub } from './harness.js';

const run = promisify(execFile);
const MIN = 60_000;

/** Runs `cityhub users …` with the password on standard input; resolves with stdout and stderr. */
export async function users(hub: TestHub, args: string[], password?: string): Promise<{ stdout: string; stderr: string }> {
  const p = run(process.execPath, [CLI, 'users', ...args], { env: { ...process.env, CITYHUB_DATA_DIR: hub.dataDir } });
  p.child.stdin?.end(password === undefined ? '' : `${password}\n`);
  return p;
}

/** A signed-in session: its cookie (name=value), CSRF token, and the headers it signed in with (the proxy's client address), sent again with each request. */
export interface SignedIn { cookie: string; csrf: string; setCookie: string; body: Record<string, unknown>; headers: Record<string, string> }

/** `POST /api/v1/session`; `from` is the client address the trusted proxy reports. */
export async function signIn(hub: TestHub, user: string, password: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${hub.httpUrl}/api/v1/session`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ user, password }),
  });
}

/** Signs in and expects it to work. */
export async function session(hub: TestHub, user: string, password: string, headers: Record<string, string> = {}): Promise<SignedIn> {
  const res = await signIn(hub, user, password, headers);
  if (res.status !== 200) throw new Error(`sign-in of ${user}: ${res.status} ${await res.text()}`);
  const setCookie = res.headers.getSetCookie()[0] ?? '';
  const body = (await res.json()) as Record<string, unknown>;
  return { cookie: setCookie.split(';')[0]!, csrf: String(body.csrf_token), setCookie, body, headers };
}

/** A request with a session's cookie (and, unless `csrf` is given otherwise, its CSRF token). */
export async function asSession(hub: TestHub, s: SignedIn, path: string, init: { method?: string; body?: unknown; csrf?: string | null } = {}): Promise<Response> {
  const csrf = init.csrf === undefined ? s.csrf : init.csrf;
  return fetch(hub.httpUrl + path, {
    method: init.method ?? 'GET',
    headers: { ...s.headers, cookie: s.cookie, ...(csrf !== null && { 'x-csrf-token': csrf }), ...(init.body !== undefined && { 'content-type': 'application/json' }) },
    ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
  });
}

/** A building-power alert that opened and cleared on real readings (five minutes above the limit, then below); its id. */
export async function clearedAlert(hub: TestHub, building: string): Promise<string> {
  const device = await hub.provision('energy', building);
  const limit = (findAsset(building)!.properties as { power_limit_kw: number }).power_limit_kw;
  const t0 = Date.now() - 20 * MIN;
  await hub.publish(device, [0, 2, 5].map((m) => ({ ts: t0 + m * MIN, seq: m, power_kw: limit * 1.3 })));
  await hub.publish(device, { ts: t0 + 6 * MIN, seq: 6, power_kw: limit * 0.5 });
  const a = await waitFor(async () => (await hub.get<{ items: Array<{ id: string; asset: string; status: string }> }>('/api/v1/alerts?state=cleared')).body.items
    .find((x) => x.asset === building), 10_000, `a cleared alert on ${building}`);
  return a.id;
}

/** An entry of the audit log as `GET /api/v1/audit` lists it. */
export interface Audit { at: string; action: string; who: string; address: string | null; alert?: string; comment?: string; method?: string; reason?: string }

/** A new operator API token, made with the real `cityhub tokens add`. */
export async function operatorToken(hub: TestHub): Promise<string> {
  const { stdout } = await run(process.execPath, [CLI, 'tokens', 'add', '--role', 'operator', '--json'], { env: { ...process.env, CITYHUB_DATA_DIR: hub.dataDir } });
  return (JSON.parse(stdout) as { token: string }).token;
}

/** The audit log, newest first, read with `token`; `q` adds to the query (`&action=signout`). */
export async function auditLog(hub: TestHub, token: string, q = ''): Promise<Audit[]> {
  const r = await fetch(`${hub.httpUrl}/api/v1/audit?limit=2000${q}`, { headers: { authorization: `Bearer ${token}` } });
  if (r.status !== 200) throw new Error(`GET /api/v1/audit answered ${r.status}: ${await r.text()}`);
  return ((await r.json()) as { items: Audit[] }).items;
}
