import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { usersCommand } from './cli.js';
import { People } from './people.js';

let dataDir: string;
const PW = 'a long enough password';

async function cli(args: string[], password = PW): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await usersCommand(args, { dataDir, readPassword: async () => password }, { log: (s) => out.push(s), error: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cityhub-people-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('cityhub users and sign-in', () => {
  it('adds, lists, rotates and disables users; a password is never printed nor stored', async () => {
    expect((await cli(['add', 'ana', '--role', 'operator'])).code).toBe(0);
    expect(await cli(['add', 'ana', '--role', 'viewer'])).toMatchObject({ code: 2, err: expect.stringContaining('exists already') as unknown });
    expect(await cli(['add', 'bo', '--role', 'boss'])).toMatchObject({ code: 2, err: expect.stringContaining('role must be one of viewer, operator, admin') as unknown });
    expect(await cli(['add', 'bad name', '--role', 'viewer'])).toMatchObject({ code: 2 });
    const listed = await cli(['list', '--json']);
    expect(JSON.parse(listed.out)).toEqual([expect.objectContaining({ name: 'ana', role: 'operator', enabled: true })]);
    const file = await readFile(join(dataDir, 'registry', 'users.json'), 'utf8');
    expect(file).not.toContain(PW);
    const people = await People.open({ dataDir }, { idleMs: 60_000, maxMs: 3_600_000 });
    const first = await people.signIn('ana', PW, '192.0.2.1');
    expect(first).toMatchObject({ ok: true, session: { user: 'ana', role: 'operator' } });
    expect((await cli(['passwd', 'ana'], 'another long password')).code).toBe(0);
    if (first.ok) expect(people.session(first.id)).toBeNull();
    expect(await people.signIn('ana', PW, '192.0.2.1')).toEqual({ ok: false, reason: 'failed' });
    const second = await people.signIn('ana', 'another long password', '192.0.2.1');
    expect(second.ok).toBe(true);
    expect((await cli(['disable', 'ana'])).code).toBe(0);
    if (second.ok) expect(people.session(second.id)).toBeNull();
    expect(JSON.stringify([await cli(['list']), await cli(['passwd', 'nobody'])])).not.toContain(PW);
    expect(people.audit.list({ limit: 10 }).map((e) => e.action)).toEqual(['signin_ok', 'signin_failed', 'signin_ok']);
    await people.close();
  });

  it('keeps a person of the identity provider with the role and name of their sign-in, without a local account', async () => {
    const people = await People.open({ dataDir }, { idleMs: 60_000, maxMs: 3_600_000 });
    const r = await people.signInExternal({ user: 'oidc:id.example.org:s1', role: 'operator', name: 'Olga' }, '192.0.2.7');
    expect(r.session).toMatchObject({ user: 'oidc:id.example.org:s1', role: 'operator', name: 'Olga' });
    expect(people.session(r.id)).toMatchObject({ user: 'oidc:id.example.org:s1', role: 'operator', name: 'Olga', csrf: r.session.csrf });
    expect(people.audit.list({ limit: 1 })).toEqual([expect.objectContaining({ action: 'signin_ok', who: 'oidc:id.example.org:s1', method: 'oidc', address: '192.0.2.7' })]);
    // The key of the sign-in cookie is made once and kept: another opening of the same documents has the same.
    const key = await people.loginKey();
    expect(key).toHaveLength(32);
    await people.signOut(r.id, null);
    expect(people.session(r.id)).toBeNull();
    await people.close();
    const again = await People.open({ dataDir }, { idleMs: 60_000, maxMs: 3_600_000 });
    expect((await again.loginKey()).equals(key)).toBe(true);
    await again.close();
  });

  it('locks a name after 5 failures and refuses it even with the right password', async () => {
    await cli(['add', 'bob', '--role', 'viewer']);
    const people = await People.open({ dataDir }, { idleMs: 60_000, maxMs: 3_600_000 });
    for (let i = 0; i < 5; i++) expect(await people.signIn('bob', 'wrong password', null)).toEqual({ ok: false, reason: 'failed' });
    expect(await people.signIn('bob', PW, null)).toMatchObject({ ok: false, reason: 'locked' });
    await people.close();
  });
});
