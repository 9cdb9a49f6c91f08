import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { buildAsyncApi } from '../asyncapi.js';
import type { ApiDeps } from '../deps.js';
import { ANONYMOUS, json } from '../responses.js';

const Document = z.record(z.string(), z.unknown());

/** `/openapi.json` (this API), `/asyncapi.json` (the MQTT interface) and `/docs` (Swagger UI, served from the npm package). */
export const docsRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const asyncapi = buildAsyncApi(deps.mqttUrl ? { mqttUrl: deps.mqttUrl } : {});
  app.get('/openapi.json', {
    schema: { operationId: 'getOpenApi', summary: 'This API as OpenAPI 3.1, generated from its zod schemas', tags: ['documentation'], security: ANONYMOUS, response: { 200: json('The OpenAPI document', Document) } },
  }, async (_req, reply) => {
    reply.header('cache-control', 'public, max-age=300');
    return app.swagger() as unknown as Record<string, unknown>;
  });
  app.get('/asyncapi.json', {
    schema: {
      operationId: 'getAsyncApi', summary: 'The MQTT interface of the devices as AsyncAPI 3.1, generated from the reading schemas',
      tags: ['documentation'], security: ANONYMOUS, response: { 200: json('The AsyncAPI document', Document) },
    },
  }, async (_req, reply) => {
    reply.header('cache-control', 'public, max-age=300');
    return asyncapi;
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: true, uiConfig: { docExpansion: 'list', deepLinking: true } });
};
