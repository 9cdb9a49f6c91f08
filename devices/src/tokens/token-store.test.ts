import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tokensCommand } from './cli.js';
import { TokenStore } from './token-store.js';

describe('TokenStore', () => {
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'cityhub-tokens-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('verifies a token by role, keeps only its hash, and sees tokens added by another instance', async () => {
    const a = await TokenStore.open(dir);
    const b = await TokenStore.open(dir);
    const t = await a.add('operator', 'night shift');
    expect(t.token).toMatch(/^chk_[0-9a-f]{8}_/);
    expect(b.verify(t.token)).toEqual({ id: t.id, role: 'operator' });
    expect(b.verify(t.token.slice(0, -1) + (t.token.endsWith('A') ? 'B' : 'A'))).toBeNull();
    expect(b.verify('chk_00000000_' + 'x'.repeat(43))).toBeNull();
    expect(b.verify('Bearer nonsense')).toBeNull();
    const onDisk = await readFile(join(dir, 'registry', 'tokens.json'), 'utf8');
    expect(onDisk).not.toContain(t.token.slice('chk_01234567_'.length));
    await b.revoke(t.id);
    expect(a.verify(t.token)).toBeNull();
  });

  it('refuses an unknown role and an unknown id', async () => {
    const s = await TokenStore.open(dir);
    await expect(s.add('root')).rejects.toMatchObject({ code: 'BAD_ROLE' });
    await expect(s.revoke('deadbeef')).rejects.toMatchObject({ code: 'UNKNOWN_TOKEN' });
  });

  it('has a CLI that prints the token once and lists without it', async () => {
    const lines: string[] = [];
    const out = { log: (s: string) => lines.push(s), error: (s: string) => lines.push(`ERR ${s}`) };
    expect(await tokensCommand(['add', '--role', 'admin', '--json'], { dataDir: dir }, out)).toBe(0);
    const t = JSON.parse(lines.pop()!) as { id: string; token: string; role: string };
    expect(t.role).toBe('admin');
    expect(await tokensCommand(['list', '--json'], { dataDir: dir }, out)).toBe(0);
    expect(lines.pop()).not.toContain(t.token);
    expect(await tokensCommand(['add', '--role', 'god'], { dataDir: dir }, out)).toBe(2);
    expect(await tokensCommand(['add'], { dataDir: dir }, out)).toBe(2);
  });
});
