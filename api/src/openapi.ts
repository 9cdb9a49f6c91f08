import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { createJsonSchemaTransform, createJsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { API_VERSION } from './version.js';

/**
 * Collects every route's zod schemas into an OpenAPI 3.1 document (`app.swagger()`), as routes are added:
 * register it before them. 3.1, because its schemas are JSON Schema 2020-12, which zod emits as it is
 * (series points are tuples: `prefixItems`).
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'City Hub API',
        version: API_VERSION,
        description: 'Open data and operations of City Hub, the smart-city IoT data hub of Thessaloniki: the asset catalogue, latest ' +
          'readings, history, open-data exports and a live WebSocket (public unless the city closes public reading), and devices and ' +
          'dead letters (API token). Errors are `{ "error": { "code", "message" } }`. Times are ISO 8601 or epoch milliseconds in ' +
          'queries and ISO 8601 (UTC) in answers. Anonymous callers are rate-limited per address (`429` with `retry-after`). The MQTT ' +
          'interface of the devices is described at `/asyncapi.json`.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An API token (`cityhub tokens add --role operator|admin`).' },
        },
      },
      tags: [
        { name: 'catalogue', description: 'Assets and the municipality boundary' },
        { name: 'readings', description: 'Latest, history and live readings' },
        { name: 'open data', description: 'Exports with licence and attribution' },
        { name: 'devices', description: 'The device registry (API token)' },
        { name: 'dead letters', description: 'Rejected readings (API token)' },
        { name: 'operations', description: 'Health, readiness and metrics' },
        { name: 'documentation', description: 'The machine-readable descriptions' },
        { name: 'NGSI-LD', description: 'ETSI GS CIM 009 with Smart Data Models entities, under /ngsi-ld/v1; errors are problem details' },
      ],
    },
    transform: createJsonSchemaTransform({ skipList: [] }),
    transformObject: createJsonSchemaTransformObject({}),
  });
}
