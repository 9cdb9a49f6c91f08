/**
 * A real OpenID Connect provider for the sign-in tests (the `oidc-provider` package, on 127.0.0.1 over plain
 * HTTP as its development defaults allow), with one confidential client, a few people with groups, and an
 * interaction that signs in the person the test chose (no HTML form); and a small browser of fetch calls
 * with manual redirects and a cookie jar per origin.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export const CLIENT_ID = 'cityhub';
export const CLIENT_SECRET = 'a client secret of the test provider';

/** The people of the provider: their claims. `deny` is not a person: the provider refuses the sign-in. */
export const PEOPLE: Record<string, { name?: string; preferred_username: string; email: string; groups: string[] }> = {
  'op-1': { name: 'Olga Operator', preferred_username: 'olga', email: 'olga@example.org', groups: ['staff', 'cityhub-operators'] },
  'adm-1': { preferred_username: 'adam', email: 'adam@example.org', groups: ['cityhub-admins'] },
  'view-1': { name: 'Victor Viewer', preferred_username: 'victor', email: 'victor@example.org', groups: ['staff'] },
};

export interface TestProvider {
  issuer: string;
  /** Who the next sign-in at the provider is: an id of PEOPLE, or `deny` (the provider answers access_denied). */
  next: { person: string };
  close(): Promise<void>;
}

/** A port free now on 127.0.0.1 (for a provider that starts later). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

async function interact(provider: Provider, next: { person: string }, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (next.person === 'deny') {
    await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the person declined' }, { mergeWithLastSubmission: false });
    return;
  }
  const clientId = String(details.params.client_id);
  const grant = new provider.Grant({ accountId: next.person, clientId });
  grant.addOIDCScope(String(details.params.scope));
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { login: { accountId: next.person }, consent: { grantId } }, { mergeWithLastSubmission: false });
}

/** Starts the provider on `port` with the hubs' callbacks as its client's redirect URIs (and their `/` as where sign-out comes back to). */
export async function startProvider(port: number, redirectUris: string[]): Promise<TestProvider> {
  const issuer = `http://127.0.0.1:${port}`;
  const next = { person: 'op-1' };
  const provider = new Provider(issuer, {
    clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: redirectUris, post_logout_redirect_uris: redirectUris.map((u) => new URL('/', u).href), response_types: ['code'], grant_types: ['authorization_code'] }],
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email'], groups: ['groups'] },
    scopes: ['openid', 'profile', 'email', 'groups'],
    findAccount: (_ctx, id) => {
      const p = PEOPLE[id];
      return p ? { accountId: id, claims: () => ({ sub: id, ...p }) } : undefined;
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: { devInteractions: { enabled: false } },
    cookies: { keys: ['a cookie key of the test provider'] },
    // Its own signing key and lifetimes (else the package warns of its development defaults).
    jwks: { keys: [{ ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid: 'test', use: 'sig', alg: 'RS256' }] },
    ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 600, IdToken: 600, Interaction: 600, Session: 600 },
  });
  const handle = provider.callback();
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      interact(provider, next, req, res).catch((err: Error) => {
        res.statusCode = 500;
        res.end(err.message);
      });
      return;
    }
    void handle(req, res);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    issuer, next,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

/** fetch with manual redirects and a cookie jar per origin, as a browser would keep them (paths and expiry aside). */
export class Browser {
  private readonly jar = new Map<string, Map<string, string>>();

  cookie(origin: string, name: string): string | undefined {
    return this.jar.get(origin)?.get(name);
  }

  /** One request with the origin's cookies; the answer's cookies are kept (Max-Age=0 drops one). */
  async request(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Response> {
    const origin = new URL(url).origin;
    const cookies = [...(this.jar.get(origin) ?? new Map<string, string>())].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...init.headers, ...(cookies && { cookie: cookies }) } });
    const jar = this.jar.get(origin) ?? new Map<string, string>();
    this.jar.set(origin, jar);
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const [name, value] = [pair!.slice(0, i).trim(), pair!.slice(i + 1).trim()];
      if (/max-age=0(;|$)/i.test(c) || /expires=Thu, 01 Jan 1970/i.test(c)) jar.delete(name);
      else jar.set(name, value);
    }
    return res;
  }

  /**
   * Follows redirects from `url` until an answer that is not one, or until `stop` says so of the next URL
   * (which is then not requested). The last answer, and the URL it stopped at.
   */
  async follow(url: string, stop: (next: URL) => boolean = () => false): Promise<{ res: Response; stoppedAt?: URL; hops: string[] }> {
    const hops: string[] = [];
    let res = await this.request(url);
    for (let i = 0; i < 20 && res.status >= 300 && res.status < 400; i++) {
      const next = new URL(res.headers.get('location')!, res.url || url);
      hops.push(next.href);
      if (stop(next)) return { res, stoppedAt: next, hops };
      res = await this.request(next.href);
    }
    return { res, hops };
  }
}
