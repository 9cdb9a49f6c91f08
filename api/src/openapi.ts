import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { createJsonSchemaTransform, createJsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { documentHeaders } from './openapi-headers.js';
import { API_VERSION } from './version.js';

/** The licence of the hub's code, this document included (the data's licence is on each export). */
const LICENSE = { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' };

/**
 * Writes the `items: false` of every tuple (zod's `prefixItems` with no item past them) as `items: { not: {} }`,
 * which says the same: spectral's `array-items` asks every array for an `items` that is not false.
 */
function closeTuples(node: unknown): void {
  if (Array.isArray(node)) {
    for (const x of node) closeTuples(x);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  if (Array.isArray(o.prefixItems) && (o.items === false || o.items === undefined)) o.items = { not: {} };
  for (const v of Object.values(o)) closeTuples(v);
}

/**
 * Collects every route's zod schemas into an OpenAPI 3.1 document (`app.swagger()`), as routes are added:
 * register it before them. 3.1, because its schemas are JSON Schema 2020-12, which zod emits as it is
 * (series points are tuples: `prefixItems`). Every operation has an `operationId` (generated clients are
 * named from them); a token is required unless an operation says `security: []`; the response headers the
 * hub sends are documented (`openapi-headers.ts`). `servers` is the hub's public URL when it is set
 * (`CITYHUB_PUBLIC_URL`), else the host that served the document.
 */
export async function registerOpenApi(app: FastifyInstance, opts: { publicUrl?: string | undefined } = {}): Promise<void> {
  const zodTransformObject = createJsonSchemaTransformObject({});
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'City Hub API',
        version: API_VERSION,
        license: LICENSE,
        description: 'Open data and operations of City Hub, the smart-city IoT data hub of Thessaloniki: the asset catalogue, latest ' +
          'readings, history, open-data exports and a live WebSocket (public unless the city closes public reading: then they take ' +
          'a token or a session too), and devices and dead letters (API token or a signed-in person). Errors are `{ "error": { "code", "message" } }` ' +
          '(NGSI-LD: problem details). Times are ISO 8601 or epoch milliseconds in queries and ISO 8601 (UTC) in answers. ' +
          'Anonymous callers are rate-limited per address (`429` with `retry-after`). The MQTT interface of the devices is ' +
          'described at `/asyncapi.json`.',
      },
      servers: [{ url: opts.publicUrl?.replace(/\/+$/, '') || '/', description: 'This hub' }],
      security: [{ bearer: [] }, { session: [] }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An API token (`cityhub tokens add --role viewer|operator|admin`).' },
          session: {
            type: 'apiKey', in: 'cookie', name: 'cityhub_session',
            description: 'A person\'s session (`POST /api/v1/session`); every request of it that changes something also sends its CSRF token as `x-csrf-token`.',
          },
        },
      },
      tags: [
        { name: 'catalogue', description: 'Assets, the municipality boundary and the settings of the hub' },
        { name: 'readings', description: 'Latest, history and live readings' },
        { name: 'kpis', description: 'The city\'s key performance indicators' },
        { name: 'alerts', description: 'Alerts, their rules and their notifications' },
        { name: 'open data', description: 'Exports with licence and attribution, and the DCAT-AP catalogue' },
        { name: 'sign-in', description: 'People\'s sessions and the audit log' },
        { name: 'devices', description: 'The device registry (API token)' },
        { name: 'dead letters', description: 'Rejected readings (API token)' },
        { name: 'operations', description: 'Health, readiness and metrics' },
        { name: 'documentation', description: 'The machine-readable descriptions' },
        { name: 'NGSI-LD', description: 'ETSI GS CIM 009 with Smart Data Models entities, under /ngsi-ld/v1; errors are problem details' },
      ],
    },
    transform: createJsonSchemaTransform({ skipList: [] }),
    transformObject: (input) => {
      const doc = documentHeaders(zodTransformObject(input));
      closeTuples(doc);
      return doc;
    },
  });
}
