import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AssetCollection, Kind } from '@cityhub/contracts';
import type { ApiDeps } from '../deps.js';
import { ANONYMOUS, errors, GEOJSON, geojson } from '../responses.js';

const Query = z.strictObject({ kind: Kind.optional().describe('Only assets of this kind; all kinds without it.') });
/** The boundary is GeoJSON as published (geodata.gov.gr), passed through as it is. */
const Boundary = z.record(z.string(), z.unknown()).describe('GeoJSON (RFC 7946)');

/** The catalogue: `GET /assets?kind=` as GeoJSON, and `GET /boundary`. */
export const assetsRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const byKind = new Map(Kind.options.map((k) => [k, { ...deps.catalogue, features: deps.catalogue.features.filter((f) => f.properties.kind === k) }]));
  app.get('/assets', {
    schema: {
      operationId: 'listAssets', summary: 'The catalogue of assets as GeoJSON',
      description: 'Road links (LineString), Wi-Fi hotspots and metered buildings (Point) with their attributes and stable ids. ' +
        'Attributes marked `simulated` (with `simulated_fields`) are not real. Cached for 5 minutes.',
      tags: ['catalogue'], security: ANONYMOUS, querystring: Query,
      response: { 200: geojson('A GeoJSON FeatureCollection with its attribution', AssetCollection), ...errors(400, 401, 429) },
    },
  }, async (req, reply) => {
    reply.header('cache-control', 'public, max-age=300').type(GEOJSON);
    const kind = req.query.kind;
    return kind ? byKind.get(kind) ?? deps.catalogue : deps.catalogue;
  });
  app.get('/boundary', {
    schema: {
      operationId: 'getBoundary', summary: 'The municipality boundary as GeoJSON',
      tags: ['catalogue'], security: ANONYMOUS,
      response: { 200: geojson('The boundary of the Municipality of Thessaloniki (geodata.gov.gr, simplified; outer ring counter-clockwise)', Boundary), ...errors(401, 429) },
    },
  }, async (_req, reply) => {
    reply.header('cache-control', 'public, max-age=3600').type(GEOJSON);
    return deps.boundary as Record<string, unknown>;
  });
};
