import { existsSync } from 'node:fs';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import type { ApiDeps } from './deps.js';
import { requireRole } from './auth.js';
import { installErrorHandler } from './errors.js';
import { assetsRoutes } from './routes/assets.js';
import { deadLettersRoutes } from './routes/deadletters.js';
import { devicesRoutes } from './routes/devices.js';
import { healthRoutes } from './routes/health.js';
import { latestRoutes } from './routes/latest.js';
import { liveRoutes } from './routes/live.js';
import { seriesRoutes } from './routes/series.js';

const PUBLIC = new Set(['/api/v1/assets', '/api/v1/boundary', '/api/v1/latest', '/api/v1/series', '/api/v1/live']);

export interface BuildOptions {
  /** A pino logger for requests; none when absent. */
  logger?: FastifyBaseLogger;
}

/**
 * Builds the HTTP API as a fastify app without listening, so tests can `inject()` requests. Routes live
 * under `/api/v1`; `/healthz` and `/readyz` at the root; the built dashboard at `/`.
 */
export async function buildApp(deps: ApiDeps, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: false }),
    bodyLimit: 1024 * 1024,
    requestIdHeader: 'x-request-id',
  });
  installErrorHandler(app);
  if (deps.metrics) {
    const m = deps.metrics;
    // Timed per route pattern (never the raw URL: label values stay bounded).
    app.addHook('onResponse', async (req, reply) => {
      m.httpRequest(req.routeOptions.url ?? 'unmatched', req.method, reply.statusCode, reply.elapsedTime / 1000);
    });
  }
  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });
  await app.register(healthRoutes, deps);
  await app.register(async (v1) => {
    v1.addHook('preHandler', async (req) => {
      // Public read routes: open unless the city turned public reading off; the rest check their own role.
      if (PUBLIC.has(req.routeOptions.url ?? '') && deps.publicRead === false) requireRole(deps, req, 'operator');
    });
    await v1.register(assetsRoutes, deps);
    await v1.register(latestRoutes, deps);
    await v1.register(seriesRoutes, deps);
    await v1.register(liveRoutes, deps);
    await v1.register(devicesRoutes, deps);
    await v1.register(deadLettersRoutes, deps);
  }, { prefix: '/api/v1' });
  if (deps.dashboardDir && existsSync(deps.dashboardDir)) {
    await app.register(fastifyStatic, { root: deps.dashboardDir, prefix: '/', wildcard: false });
  } else {
    app.get('/', async (_req, reply) =>
      reply.status(503).send({ error: { code: 'UNAVAILABLE', message: 'the dashboard is not built: run `npm run build`' } }));
  }
  return app;
}
