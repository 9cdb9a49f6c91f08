import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../deps.js';

/** `/healthz`: the process answers. `/readyz`: every part it depends on is ready (503 with reasons if not). */
export const healthRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/metrics', async (_req, reply) => {
    if (!deps.metrics) return reply.status(404).send({ error: { code: 'NOT_FOUND', message: 'metrics are off on this node' } });
    const m = await deps.metrics.render();
    return reply.type(m.contentType).send(m.body);
  });
  app.get('/readyz', async (_req, reply) => {
    const checks = deps.readiness?.() ?? {};
    const ok = Object.values(checks).every((c) => c.ok);
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not ready', checks });
  });
};
