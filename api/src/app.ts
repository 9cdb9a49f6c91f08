import { existsSync } from 'node:fs';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import type { ApiDeps } from './deps.js';
import { installErrorHandler } from './errors.js';
import { assetsRoutes } from './routes/assets.js';
import { healthRoutes } from './routes/health.js';
import { latestRoutes } from './routes/latest.js';
import { liveRoutes } from './routes/live.js';
import { seriesRoutes } from './routes/series.js';

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
  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });
  await app.register(healthRoutes, deps);
  await app.register(async (v1) => {
    await v1.register(assetsRoutes, deps);
    await v1.register(latestRoutes, deps);
    await v1.register(seriesRoutes, deps);
    await v1.register(liveRoutes, deps);
  }, { prefix: '/api/v1' });
  if (deps.dashboardDir && existsSync(deps.dashboardDir)) {
    await app.register(fastifyStatic, { root: deps.dashboardDir, prefix: '/', wildcard: false });
  } else {
    app.get('/', async (_req, reply) =>
      reply.status(503).send({ error: { code: 'UNAVAILABLE', message: 'the dashboard is not built: run `npm run build`' } }));
  }
  return app;
}
