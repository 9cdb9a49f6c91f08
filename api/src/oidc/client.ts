import type { FastifyBaseLogger } from 'fastify';
import * as oidc from 'openid-client';
import type { Role } from '@cityhub/contracts';
import { ApiError, type ApiErrorCode } from '../errors.js';
import type { PendingLogin } from './cookie.js';
import type { OidcSettings } from './settings.js';

export type { OidcSettings } from './settings.js';

/** Discovery retries: after 5 s, doubling up to 5 min. */
export const OIDC_RETRY = { firstMs: 5_000, maxMs: 300_000 } as const;
/** Seconds any request to the provider (discovery, token, userinfo) may take. */
export const OIDC_TIMEOUT_S = 10;
/** Plain HTTP is allowed only to a provider on this machine (a test, or a provider beside the hub). */
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The claims of a signed-in person: the ID token's (verified), with the userinfo endpoint's. */
export type Claims = Record<string, unknown> & { sub: string };

/** An error's message with its cause's (openid-client wraps the telling one: `invalid response encountered: unexpected "state"…`). */
const messageOf = (err: unknown): string => {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error && cause.message !== err.message ? `${err.message}: ${cause.message}` : err.message;
};

/**
 * The hub as an OpenID Connect relying party (openid-client): it discovers the provider in the background
 * (retrying while it cannot be reached: sign-in answers 503 until then, the rest of the hub is unaffected),
 * starts the Authorization Code flow with PKCE, a state and a nonce, and finishes it: the code exchanged,
 * the ID token verified against the provider's keys, the userinfo fetched.
 */
export class OidcClient {
  private config: oidc.Configuration | null = null;
  private lastError = 'the provider has not been reached yet';
  private timer: NodeJS.Timeout | null = null;
  private delayMs: number;
  private closed = false;
  private inflight: Promise<void> | null = null;
  private lastAttempt = 0;
  /** The issuer's host, in the user names of the people it signs in (`oidc:<host>:<sub>`). */
  readonly issuerHost: string;

  constructor(readonly settings: OidcSettings, private readonly log: FastifyBaseLogger) {
    this.issuerHost = new URL(settings.issuer).host;
    this.delayMs = (settings.retry ?? OIDC_RETRY).firstMs;
  }

  /** Discovers the provider now, and again later while that fails. */
  start(): void {
    void this.attempt();
  }

  /** One discovery attempt (the one under way, if any). */
  private attempt(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.lastAttempt = Date.now();
    this.inflight ??= this.discover().finally(() => { this.inflight = null; });
    return this.inflight;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async discover(): Promise<void> {
    const { issuer, clientId, clientSecret } = this.settings;
    const url = new URL(issuer);
    const insecure = url.protocol === 'http:' && LOOPBACK.has(url.hostname);
    try {
      const config = await oidc.discovery(url, clientId, clientSecret, clientSecret ? oidc.ClientSecretBasic(clientSecret) : oidc.None(), {
        timeout: OIDC_TIMEOUT_S, ...(insecure && { execute: [oidc.allowInsecureRequests] }),
      });
      if (this.closed) return;
      this.config = config;
      this.log.info({ issuer }, 'OpenID Connect provider discovered');
    } catch (err) {
      if (this.closed) return;
      this.lastError = messageOf(err);
      const retry = this.settings.retry ?? OIDC_RETRY;
      this.log.error({ issuer, err: this.lastError, retryInS: this.delayMs / 1000 }, 'OpenID Connect discovery failed: sign-in with it answers 503 until it succeeds');
      this.timer = setTimeout(() => void this.attempt(), this.delayMs);
      this.timer.unref();
      this.delayMs = Math.min(this.delayMs * 2, retry.maxMs);
    }
  }

  /**
   * The discovered provider, or a 503 that says why not. A sign-in while the provider is unknown waits for the
   * attempt under way, or tries again at once (at most once a second), so that a provider back up is used
   * without waiting for the next retry.
   */
  private async ready(): Promise<oidc.Configuration> {
    if (!this.config && !this.closed) {
      if (this.inflight) await this.inflight;
      else if (Date.now() - this.lastAttempt >= 1_000) await this.attempt();
    }
    if (this.config) return this.config;
    throw new ApiError('UNAVAILABLE', `sign-in with ${this.settings.name} is unavailable: the identity provider ${this.settings.issuer} could not be discovered (${this.lastError}); the hub keeps trying`);
  }

  /** Where to send the browser to sign in, and what the callback must check (kept in the sign-in cookie). */
  async begin(redirectUri: string, returnTo: string, ttlMs: number): Promise<{ url: string; pending: PendingLogin }> {
    const config = await this.ready();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const scopes = new Set(['openid', ...this.settings.scopes.split(/\s+/).filter(Boolean)]);
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri, scope: [...scopes].join(' '), state, nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    return { url: url.href, pending: { state, nonce, verifier, redirectUri, returnTo, exp: Date.now() + ttlMs } };
  }

  /**
   * The provider's end-session URL (RP-initiated logout) that comes back to `after`, or null when the provider
   * has none or is not discovered.
   */
  logoutUrl(after: string): string | null {
    if (!this.config?.serverMetadata().end_session_endpoint) return null;
    return oidc.buildEndSessionUrl(this.config, { client_id: this.settings.clientId, post_logout_redirect_uri: after }).href;
  }

  /**
   * Finishes a sign-in from the callback's query string: checks the state, exchanges the code with the PKCE
   * verifier, verifies the ID token (signature against the provider's JWKS, issuer, audience, expiry, nonce)
   * and adds the userinfo claims. Throws an ApiError that says what went wrong.
   */
  async finish(pending: PendingLogin, query: string): Promise<Claims> {
    const config = await this.ready();
    const current = new URL(pending.redirectUri);
    current.search = query;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: pending.verifier, expectedState: pending.state, expectedNonce: pending.nonce, idTokenExpected: true,
      });
      const id = tokens.claims();
      if (!id) throw new ApiError('UNAUTHORIZED', 'the identity provider sent no ID token');
      if (!config.serverMetadata().userinfo_endpoint) return { ...id };
      const info = await oidc.fetchUserInfo(config, tokens.access_token, id.sub);
      return { ...info, ...id };
    } catch (err) {
      throw explain(err);
    }
  }
}

/** What went wrong in a callback, as the API's error. */
function explain(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof oidc.AuthorizationResponseError) {
    return new ApiError('UNAUTHORIZED', `the identity provider refused the sign-in: ${err.error}${err.error_description ? `: ${err.error_description}` : ''}`);
  }
  if (err instanceof oidc.ResponseBodyError) {
    return new ApiError('UNAUTHORIZED', `the identity provider refused the code: ${err.error}${err.error_description ? `: ${err.error_description}` : ''}`);
  }
  const code: ApiErrorCode = err instanceof oidc.ClientError ? 'UNAUTHORIZED' : 'UNAVAILABLE';
  const what = code === 'UNAUTHORIZED' ? 'the sign-in could not be verified' : 'the identity provider could not be reached';
  return new ApiError(code, `${what}: ${messageOf(err)}`);
}

/** The string values of a claim (a dotted path reaches into objects: `realm_access.roles`). */
export function claimValues(claims: Record<string, unknown>, path: string): string[] {
  const v = path in claims ? claims[path] : path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), claims);
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** The role the claims give: admin, operator, else the default (null: refused). */
export function roleOf(claims: Record<string, unknown>, s: Pick<OidcSettings, 'roleClaim' | 'adminValues' | 'operatorValues' | 'defaultRole'>): Role | null {
  const values = new Set(claimValues(claims, s.roleClaim));
  if (s.adminValues.some((v) => values.has(v))) return 'admin';
  if (s.operatorValues.some((v) => values.has(v))) return 'operator';
  return s.defaultRole === 'none' ? null : 'viewer';
}

/** The person of the claims: `oidc:<issuer host>:<subject>`, named by `name`, `preferred_username` or `email`. */
export function personOf(claims: Claims, issuerHost: string): { user: string; name?: string } {
  const name = [claims.name, claims.preferred_username, claims.email].find((v): v is string => typeof v === 'string' && v.trim() !== '');
  return { user: `oidc:${issuerHost}:${claims.sub}`, ...(name && { name: name.trim().slice(0, 200) }) };
}
