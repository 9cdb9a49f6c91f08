import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NewDevice } from '@cityhub/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { devicesCommand } from './cli.js';
import { openRegistry } from './registry/file-registry.js';

let dataDir: string;

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await devicesCommand(args, { dataDir }, { log: (s) => out.push(s), error: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cityhub-cli-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('cityhub devices', () => {
  it('adds a device and prints its id and secret once, as JSON on one line', async () => {
    const r = await cli('add', '--kind', 'traffic', '--asset', 'link-12', '--json');
    expect(r.code).toBe(0);
    expect(r.out.split('\n')).toHaveLength(1);
    const d = NewDevice.parse(JSON.parse(r.out));
    expect(Object.keys(JSON.parse(r.out) as object)).toEqual(['id', 'secret', 'kind', 'asset']);
    expect(d).toMatchObject({ kind: 'traffic', asset: 'link-12' });
    const reg = await openRegistry(dataDir);
    expect(await reg.verify(d.id, d.secret)).toBe(true);
    await reg.close();
  });

  it('adds a device in human form, saying the secret is shown only now', async () => {
    const r = await cli('add', '--kind', 'wifi', '--asset', 'hotspot-white-tower', '--id', 'wf-tower-01');
    expect(r.code).toBe(0);
    expect(r.out).toContain('wf-tower-01');
    expect(r.out).toMatch(/secret: [A-Za-z0-9_-]{32}/);
    expect(r.out).toMatch(/shown only now/);
  });

  it('refuses bad input with exit status 2 and a message naming the problem', async () => {
    const cases: [string[], RegExp][] = [
      [['add', '--asset', 'link-1'], /missing --kind/],
      [['add', '--kind', 'traffic'], /missing --asset/],
      [['add', '--kind', 'bus', '--asset', 'link-1'], /unknown kind "bus"/],
      [['add', '--kind', 'traffic', '--asset', 'link-99999'], /no asset "link-99999"/],
      [['add', '--kind', 'energy', '--asset', 'link-1'], /link-1 is a traffic asset/],
      [['add', '--kind', 'traffic', '--asset', 'link-1', '--id', 'NO'], /bad device id/],
      [['add', '--kind', 'traffic', '--asset', 'link-1', '--colour', 'red'], /--colour/],
      [['disable'], /needs a device ID/],
      [['disable', 'tr-nosuchdv'], /no device with id tr-nosuchdv/],
      [['frobnicate'], /unknown command "frobnicate"/],
      [[], /Usage: cityhub devices/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toMatch(message);
      expect(r.out).toBe('');
    }
    await cli('add', '--kind', 'traffic', '--asset', 'link-1', '--id', 'tr-taken-01');
    const dup = await cli('add', '--kind', 'traffic', '--asset', 'link-1', '--id', 'tr-taken-01');
    expect(dup.code).toBe(2);
    expect(dup.err).toMatch(/already exists/);
  });

  it('lists devices as a table or JSON without secret hashes, and disables and enables them', async () => {
    expect((await cli('list')).out).toMatch(/No devices/);
    const a = NewDevice.parse(JSON.parse((await cli('add', '--kind', 'energy', '--asset', 'building-rotunda', '--json')).out));
    await cli('add', '--kind', 'traffic', '--asset', 'link-3', '--id', 'tr-second-01');

    const table = await cli('list');
    expect(table.code).toBe(0);
    const lines = table.out.split('\n');
    expect(lines[0]).toMatch(/^ID\s+KIND\s+ASSET\s+GATEWAY\s+ENABLED\s+CREATED$/);
    expect(lines[1]).toMatch(new RegExp(`^${a.id}\\s+energy\\s+building-rotunda\\s+-\\s+yes\\s+\\d{4}-`));
    expect(table.out).not.toContain('scrypt');

    const d = await cli('disable', a.id);
    expect(d).toMatchObject({ code: 0, out: `Device ${a.id} disabled.` });
    const json = JSON.parse((await cli('list', '--json')).out) as Record<string, unknown>[];
    expect(json.map((r) => [r.id, r.enabled])).toEqual([[a.id, false], ['tr-second-01', true]]);
    expect(json.every((r) => !('secret_hash' in r))).toBe(true);
    expect((await cli('enable', a.id)).code).toBe(0);
    expect(JSON.parse((await cli('list', '--json')).out)).toMatchObject([{ id: a.id, enabled: true }, { id: 'tr-second-01' }]);
  });

  it('prints help for every command', async () => {
    for (const args of [['--help'], ['add', '--help'], ['list', '-h'], ['disable', '--help'], ['enable', '--help']]) {
      const r = await cli(...args);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^Usage: cityhub devices/);
    }
  });
});
