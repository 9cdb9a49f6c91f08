import { fileURLToPath } from 'node:url';
import { buildApp, OIDC_CALLBACK_PATH, type ApiDeps, type OidcSettings } from '@cityhub/api';
import type { Config } from '@cityhub/contracts';
import { loadBoundary, loadCatalogue } from '@cityhub/contracts/catalogue';
import type { Logger } from '../ops/logger.js';
import type { Naps } from '../ops/naps.js';
import { readTls } from './broker.js';
import { secretOrFile } from './secrets.js';
import type { NodeState } from './node-state.js';

/** Where the built dashboard is, relative to the compiled `dist/wiring/api.js`. */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../dashboard/dist/', import.meta.url));

/** What differs between the modes that serve the API: where live readings, alerts and device accounting come from. */
export type NodeApiDeps = Pick<ApiDeps, 'live' | 'mqttUrl' | 'alerts' | 'replay' | 'deviceStats' | 'readiness'>;

/**
 * Serves the API and the dashboard of a node on the configured address (HTTPS when a certificate is
 * configured), over the node's store, registry, tokens, rules and metrics; the app is closed by `state.stops`.
 * Its requests and WebSockets hold off `naps` while they wait. Resolves with the URL it listens on.
 */
export async function serveApi(config: Config, log: Logger, state: NodeState, naps: Naps | undefined, deps: NodeApiDeps): Promise<string> {
  const tls = await readTls(config);
  const app = await buildApp({
    ...apiConfig(config),
    store: state.store, catalogue: loadCatalogue({ synthetic: config.CITYHUB_SYNTHETIC_ASSETS }), boundary: loadBoundary(),
    dashboardDir: DASHBOARD_DIR, auth: state.tokens, ...(state.people && { people: state.people }), registry: state.registry, metrics: state.metrics.api, rules: state.rules,
    ...deps,
  }, { logger: log.child({ name: 'api' }), requestLogLevel: config.CITYHUB_LOG_REQUESTS, ...(tls && { https: tls }) });
  state.stops.push('api', () => app.close());
  naps?.watch(app.server);
  await app.listen({ host: config.CITYHUB_HTTP_HOST, port: config.CITYHUB_HTTP_PORT });
  return `${tls ? 'https' : 'http'}://${config.CITYHUB_HTTP_HOST}:${boundPort(app.server, config.CITYHUB_HTTP_PORT)}`;
}

/** A comma-separated list's items, trimmed, without empty ones. */
const list = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/** The API options every node that serves the API takes from the configuration. */
export function apiConfig(config: Config): Partial<ApiDeps> {
  return {
    publicRead: config.CITYHUB_PUBLIC_READ,
    rateLimitPerMin: config.CITYHUB_RATE_LIMIT_PER_MIN, retentionDays: config.CITYHUB_RETENTION_RAW_DAYS, timeZone: config.CITYHUB_TZ,
    liveLimits: {
      maxClients: config.CITYHUB_LIVE_MAX_CLIENTS, maxClientsPerAddress: config.CITYHUB_LIVE_MAX_CLIENTS_PER_IP,
      maxBufferedBytes: config.CITYHUB_LIVE_MAX_BUFFERED_MB * 1024 * 1024,
    },
    ...(config.CITYHUB_CORS_ORIGINS && { corsOrigins: config.CITYHUB_CORS_ORIGINS.trim() === '*' ? '*' as const : list(config.CITYHUB_CORS_ORIGINS) }),
    ...(config.CITYHUB_TRUST_PROXY && { trustProxy: config.CITYHUB_TRUST_PROXY === 'true' ? true : config.CITYHUB_TRUST_PROXY === 'false' ? false : config.CITYHUB_TRUST_PROXY.split(',').map((a) => a.trim()) }),
    ...(config.CITYHUB_EXPORT_MAX_ROWS && { exportLimits: { maxRows: config.CITYHUB_EXPORT_MAX_ROWS } }),
    ...(config.CITYHUB_EXPORT_LICENCE && { exportLicence: { name: config.CITYHUB_EXPORT_LICENCE, url: config.CITYHUB_EXPORT_LICENCE_URL ?? '' } }),
    ...(config.CITYHUB_BASEMAP_STYLE && { basemapStyle: config.CITYHUB_BASEMAP_STYLE }),
    ...(config.CITYHUB_OIDC_ISSUER && { oidc: oidcSettings(config, config.CITYHUB_OIDC_ISSUER) }),
    catalog: {
      publisher: config.CITYHUB_CATALOG_PUBLISHER, contactName: config.CITYHUB_CATALOG_CONTACT_NAME,
      ...(config.CITYHUB_CATALOG_PUBLISHER_URL && { publisherUrl: config.CITYHUB_CATALOG_PUBLISHER_URL }),
      ...(config.CITYHUB_CATALOG_CONTACT_EMAIL && { contactEmail: config.CITYHUB_CATALOG_CONTACT_EMAIL }),
      ...(config.CITYHUB_PUBLIC_URL && { publicUrl: config.CITYHUB_PUBLIC_URL }),
    },
  };
}

/** OpenID Connect sign-in from `CITYHUB_OIDC_*`; the redirect URL defaults to the public URL's callback, else the request's. */
export function oidcSettings(config: Config, issuer: string): OidcSettings {
  const secret = secretOrFile('CITYHUB_OIDC_CLIENT_SECRET', config.CITYHUB_OIDC_CLIENT_SECRET, config.CITYHUB_OIDC_CLIENT_SECRET_FILE);
  const redirectUrl = config.CITYHUB_OIDC_REDIRECT_URL ?? (config.CITYHUB_PUBLIC_URL && `${config.CITYHUB_PUBLIC_URL.replace(/\/+$/, '')}${OIDC_CALLBACK_PATH}`);
  return {
    issuer, clientId: config.CITYHUB_OIDC_CLIENT_ID ?? '', scopes: config.CITYHUB_OIDC_SCOPES, roleClaim: config.CITYHUB_OIDC_ROLE_CLAIM,
    adminValues: list(config.CITYHUB_OIDC_ADMIN_VALUES), operatorValues: list(config.CITYHUB_OIDC_OPERATOR_VALUES),
    defaultRole: config.CITYHUB_OIDC_DEFAULT_ROLE, name: config.CITYHUB_OIDC_NAME,
    ...(secret && { clientSecret: secret }), ...(redirectUrl && { redirectUrl }),
  };
}

/** The port a listening fastify app is bound to. */
export function boundPort(server: { address(): unknown }, fallback: number): number {
  const addr = server.address();
  return typeof addr === 'object' && addr && 'port' in addr && typeof addr.port === 'number' ? addr.port : fallback;
}
