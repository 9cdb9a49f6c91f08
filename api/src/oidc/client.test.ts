import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors.js';
import { OidcClient, OIDC_RETRY } from './client.js';

/** A port nothing listens on (127.0.0.1 refuses connections to it). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

describe('OpenID Connect discovery while the provider cannot be reached', () => {
  it('logs each failure at error, retries after the first delay doubled up to the longest, answers 503 with the reason, and stops on close', async () => {
    const lines: Array<{ level: number; msg: string; retryInS?: number; err?: string }> = [];
    const sink = new Writable({ write(chunk: Buffer, _e, cb) { lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]); cb(); } });
    const issuer = `http://127.0.0.1:${await closedPort()}`;
    const client = new OidcClient({
      issuer, clientId: 'cityhub', scopes: 'openid', roleClaim: 'groups', adminValues: [], operatorValues: [], defaultRole: 'viewer',
      name: 'City ID', retry: { firstMs: 40, maxMs: 160 },
    }, pino({ level: 'info' }, sink));
    client.start();
    const failures = () => lines.filter((l) => l.msg.startsWith('OpenID Connect discovery failed'));
    const deadline = Date.now() + 5_000;
    while (failures().length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(failures().slice(0, 5).map((l) => l.retryInS)).toEqual([0.04, 0.08, 0.16, 0.16, 0.16]);
    expect(failures().every((l) => l.level === 50 && /ECONNREFUSED/.test(l.err ?? ''))).toBe(true);
    const err = await client.begin(`${issuer}/cb`, '/', 60_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/^sign-in with City ID is unavailable: the identity provider http:\/\/127\.0\.0\.1:\d+ could not be discovered \(fetch failed: .*ECONNREFUSED/) as unknown });
    client.close();
    const after = failures().length;
    await new Promise((r) => setTimeout(r, 400));
    expect(failures().length).toBeLessThanOrEqual(after + 1);
    // The defaults: after 5 s, doubling up to 5 minutes.
    expect(OIDC_RETRY).toEqual({ firstMs: 5_000, maxMs: 300_000 });
  });

  it('refuses plain HTTP to a provider that is not on this machine', async () => {
    const lines: Array<{ msg: string; err?: string }> = [];
    const sink = new Writable({ write(chunk: Buffer, _e, cb) { lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]); cb(); } });
    const client = new OidcClient({
      issuer: 'http://id.example.org', clientId: 'cityhub', scopes: 'openid', roleClaim: 'groups', adminValues: [], operatorValues: [], defaultRole: 'viewer', name: 'City ID',
    }, pino({ level: 'info' }, sink));
    client.start();
    const err = await client.begin('https://hub/cb', '/', 60_000).catch((e: unknown) => e);
    client.close();
    expect(err).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('only requests to HTTPS are allowed') as unknown });
  });
});
