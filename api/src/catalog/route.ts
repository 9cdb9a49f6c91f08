import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiDeps } from '../deps.js';
import { errors, ANONYMOUS } from '../responses.js';
import { bboxOf, buildCatalog } from './dcat.js';
import { toTurtle } from './turtle.js';

const Query = z.strictObject({
  format: z.enum(['jsonld', 'ttl']).optional().describe('Instead of `Accept`: `jsonld` (application/ld+json) or `ttl` (text/turtle).'),
});
const Doc = z.record(z.string(), z.unknown()).describe('A DCAT-AP 3.0.1 catalogue as JSON-LD');

/** Turtle when `Accept` prefers it to JSON-LD (or JSON), else JSON-LD. */
function wantsTurtle(accept: string | undefined): boolean {
  const score = (type: string) => {
    const r = (accept ?? '').split(',').map((x) => x.trim().toLowerCase().split(';')).find(([t]) => t === type);
    const q = r?.find((p) => p.trim().startsWith('q='));
    return r ? (q ? Number(q.trim().slice(2)) : 1) : 0;
  };
  return score('text/turtle') > Math.max(score('application/ld+json'), score('application/json'));
}

/** `GET /catalog`: the DCAT-AP catalogue of the hub's open data, for open-data portals to harvest. */
export const catalogRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const bbox = bboxOf(deps.boundary);
  const licence = deps.exportLicence ?? { name: 'CC BY 4.0', url: 'http://creativecommons.org/licenses/by/4.0/' };
  app.get('/catalog', {
    schema: {
      operationId: 'getCatalog', summary: 'The DCAT-AP catalogue of the open data (JSON-LD or Turtle)',
      description: 'DCAT-AP 3.0.1: the catalogue, one dataset per kind of reading and one for the asset catalogue, each with its CSV, ' +
        'GeoJSON, Parquet and NGSI-LD distributions, licence, publisher, contact point (`CITYHUB_CATALOG_*`), the municipality as ' +
        'spatial coverage and the retained range as temporal coverage. `Accept: text/turtle` (or `format=ttl`) gives Turtle.',
      tags: ['open data'], security: ANONYMOUS, querystring: Query,
      response: {
        200: { description: 'The catalogue', content: { 'application/ld+json': { schema: Doc }, 'text/turtle': { schema: z.string() } } },
        ...errors(400, 401, 429),
      },
    },
  }, async (req, reply) => {
    const c = deps.catalog;
    const doc = buildCatalog({
      publisher: c?.publisher ?? 'Municipality of Thessaloniki', contactName: c?.contactName ?? 'City Hub open data',
      ...(c?.publisherUrl && { publisherUrl: c.publisherUrl }), ...(c?.contactEmail && { contactEmail: c.contactEmail }),
      base: (c?.publicUrl ?? `${req.protocol}://${req.host}`).replace(/\/$/, ''), licence, bbox,
      retentionDays: deps.retentionDays ?? 30, now: Date.now(),
    });
    reply.header('cache-control', 'public, max-age=300').header('vary', 'accept');
    const turtle = req.query.format === 'ttl' || (req.query.format === undefined && wantsTurtle(req.headers.accept));
    if (turtle) return reply.type('text/turtle; charset=utf-8').send(await toTurtle(doc));
    return reply.type('application/ld+json').send(JSON.stringify(doc));
  });
};
