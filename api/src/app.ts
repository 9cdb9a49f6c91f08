import { existsSync } from 'node:fs';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import { validatorCompiler } from 'fastify-type-provider-zod';
import type { ApiDeps } from './deps.js';
import { requireRole } from './auth.js';
import { precompressedStatic, registerCompression } from './compression.js';
import { frameworkError, installErrorHandler } from './errors.js';
import { registerOpenApi } from './openapi.js';
import { boundClose, registerCors, registerRateLimit } from './protection.js';
import { clientErrorHandler, installSecurityHeaders } from './security.js';
import { requestIdOf } from './request-id.js';
import { serializerCompiler } from './serializer.js';
import { docsRoutes } from './routes/docs.js';
import { exportRoutes } from './routes/export.js';
import { assetsRoutes } from './routes/assets.js';
import { alertsRoutes } from './routes/alerts.js';
import { deadLettersRoutes } from './routes/deadletters.js';
import { configRoutes } from './routes/config.js';
import { kpisRoutes } from './routes/kpis.js';
import { rulesRoutes } from './routes/rules.js';
import { sessionRoutes } from './routes/session.js';
import { oidcRoutes } from './routes/oidc.js';
import { OidcClient } from './oidc/client.js';
import { devicesRoutes } from './routes/devices.js';
import { healthRoutes } from './routes/health.js';
import { latestRoutes } from './routes/latest.js';
import { liveRoutes } from './routes/live.js';
import { seriesRoutes } from './routes/series.js';
import { ngsiLdRoutes } from './ngsi-ld/routes.js';
import { catalogRoutes } from './catalog/route.js';

const PUBLIC = new Set(['/api/v1/assets', '/api/v1/boundary', '/api/v1/latest', '/api/v1/series', '/api/v1/live', '/api/v1/export',
  '/api/v1/alerts', '/api/v1/rules', '/api/v1/kpis', '/api/v1/config', '/api/v1/catalog']);

export interface BuildOptions {
  /** A pino logger for requests; none when absent. */
  logger?: FastifyBaseLogger;
  /** Serve HTTPS with this certificate and key. */
  https?: { cert: Buffer; key: Buffer };
  /** The level of the one line each request writes (default `debug`); fastify's own two lines are off. */
  requestLogLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** How long `close()` waits for open requests before it cuts them (default CLOSE_GRACE_MS, 5 s). */
  closeGraceMs?: number;
}

/**
 * Builds the HTTP API as a fastify app without listening, so tests can `inject()` requests. Routes live
 * under `/api/v1`; `/healthz` and `/readyz` at the root; the built dashboard at `/`.
 */
export async function buildApp(deps: ApiDeps, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: false }),
    // fastify's own two lines per request are off (its top-level disableRequestLogging prints a plain-text deprecation warning).
    logController: new LogController({ disableRequestLogging: true }),
    ...(opts.https && { https: opts.https }),
    bodyLimit: 1024 * 1024,
    // The caller's x-request-id when it is plain, else a UUID; echoed back, and in every log line as reqId.
    requestIdHeader: false,
    genReqId: requestIdOf,
    // Failures before any route (a URL that does not decode, a request Node cannot parse) in the hub's error shape.
    frameworkErrors: frameworkError,
    clientErrorHandler,
    ...(deps.trustProxy !== undefined && { trustProxy: typeof deps.trustProxy === 'object' ? [...deps.trustProxy] : deps.trustProxy }),
  });
  installErrorHandler(app);
  boundClose(app, opts.closeGraceMs);
  installSecurityHeaders(app, { dashboardDir: deps.dashboardDir, basemapStyle: deps.basemapStyle, https: !!opts.https });
  // Routes declare zod schemas: they validate input, encode answers and make the OpenAPI document.
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onRequest', async (req, reply) => void reply.header('x-request-id', req.id));
  await registerCompression(app);
  const requestLevel = opts.requestLogLevel ?? 'debug';
  if (opts.logger && requestLevel !== 'silent') {
    // One line per request, after the answer (the logger redacts a `?token=` in the URL).
    app.addHook('onResponse', async (req, reply) => {
      req.log[requestLevel]({ method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime), address: req.ip }, 'request');
    });
  }
  await registerCors(app, deps);
  await registerOpenApi(app, { publicUrl: deps.catalog?.publicUrl });
  if (deps.metrics) {
    const m = deps.metrics;
    // Timed per route pattern (never the raw URL: label values stay bounded).
    app.addHook('onResponse', async (req, reply) => {
      m.httpRequest(req.routeOptions.url ?? 'unmatched', req.method, reply.statusCode, reply.elapsedTime / 1000);
    });
  }
  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });
  // OpenID Connect: the provider is discovered in the background; until it is, its sign-in answers 503.
  const oidc = deps.oidc && deps.people ? new OidcClient(deps.oidc, app.log) : undefined;
  if (oidc) {
    app.addHook('onReady', async () => oidc.start());
    app.addHook('onClose', async () => oidc.close());
  }
  await app.register(healthRoutes, deps);
  await app.register(async (v1) => {
    // Before the input is validated: a caller without the right token learns nothing about the route.
    v1.addHook('onRequest', async (req) => {
      // Public read routes: open unless the city turned public reading off; the rest check their own role.
      if (PUBLIC.has(req.routeOptions.url ?? '') && deps.publicRead === false) requireRole(deps, req, 'viewer');
    });
    await registerRateLimit(v1, deps);
    await v1.register(assetsRoutes, deps);
    await v1.register(latestRoutes, deps);
    await v1.register(seriesRoutes, deps);
    await v1.register(liveRoutes, deps);
    await v1.register(devicesRoutes, deps);
    await v1.register(deadLettersRoutes, deps);
    await v1.register(exportRoutes, deps);
    await v1.register(alertsRoutes, deps);
    await v1.register(rulesRoutes, deps);
    await v1.register(kpisRoutes, deps);
    await v1.register(configRoutes, deps);
    await v1.register(catalogRoutes, deps);
    await v1.register(sessionRoutes, deps);
    await v1.register(oidcRoutes(oidc), deps);
  }, { prefix: '/api/v1' });
  await app.register(ngsiLdRoutes, { ...deps, prefix: '/ngsi-ld/v1' });
  await app.register(docsRoutes, deps);
  if (deps.dashboardDir && existsSync(deps.dashboardDir)) {
    await app.register(fastifyStatic, { root: deps.dashboardDir, prefix: '/', wildcard: false, ...precompressedStatic() });
  } else {
    app.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply.status(503).send({ error: { code: 'UNAVAILABLE', message: 'the dashboard is not built: run `npm run build`' } }));
  }
  return app;
}
