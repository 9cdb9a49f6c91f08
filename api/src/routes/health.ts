import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Health, Readiness } from '@cityhub/contracts';
import type { ApiDeps } from '../deps.js';
import { requireRole } from '../auth.js';
import { ANONYMOUS, errors, json } from '../responses.js';

const PROMETHEUS = { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: z.string() } } };

/** `/healthz`: the process answers. `/readyz`: every part it depends on is ready (503 with reasons if not). `/metrics`. */
export const healthRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  app.get('/healthz', {
    schema: { operationId: 'getLiveness', summary: 'Liveness: the process answers', tags: ['operations'], security: ANONYMOUS, response: { 200: json('Alive', Health) } },
  }, async () => ({ status: 'ok' as const }));
  app.get('/metrics', {
    schema: {
      operationId: 'getMetrics', summary: 'Prometheus metrics',
      description: 'Readings in and out, rejects by reason, spool depth, store write latency, connected devices, live clients, HTTP latency. ' +
        'Public like the reads: with public reading off (`CITYHUB_PUBLIC_READ=false`) it takes a token or a session (any role).',
      tags: ['operations'], security: ANONYMOUS, response: { 200: PROMETHEUS, ...errors(401, 403, 404) },
    },
  }, async (req, reply) => {
    // Closed with the public reads: the counters tell who uses the hub and how (Prometheus sends a bearer token).
    if (deps.publicRead === false) requireRole(deps, req, 'viewer');
    if (!deps.metrics) return reply.status(404).send({ error: { code: 'NOT_FOUND', message: 'metrics are off on this node' } });
    const m = await deps.metrics.render();
    return reply.type(m.contentType).send(m.body);
  });
  app.get('/readyz', {
    schema: {
      operationId: 'getReadiness', summary: 'Readiness: every part the API depends on (broker, store, spool) is ready',
      tags: ['operations'], security: ANONYMOUS, response: { 200: json('Ready', Readiness), 503: json('Not ready: the failing checks say why', Readiness) },
    },
  }, async (_req, reply) => {
    const checks = deps.readiness?.() ?? {};
    const ok = Object.values(checks).every((c) => c.ok);
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not ready', checks });
  });
};
