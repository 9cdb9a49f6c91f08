import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { Kind } from '@cityhub/contracts';
import type { ApiDeps } from '../deps.js';
import { parseInput } from '../errors.js';

const Query = z.strictObject({ kind: Kind.optional() });

/** The catalogue: `GET /assets?kind=` as GeoJSON, and `GET /boundary`. */
export const assetsRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  const byKind = new Map(Kind.options.map((k) => [k, { ...deps.catalogue, features: deps.catalogue.features.filter((f) => f.properties.kind === k) }]));
  app.get('/assets', async (req, reply) => {
    const q = parseInput(Query, req.query);
    reply.header('cache-control', 'public, max-age=300');
    return q.kind ? byKind.get(q.kind) : deps.catalogue;
  });
  app.get('/boundary', async (_req, reply) => {
    reply.header('cache-control', 'public, max-age=3600');
    return deps.boundary;
  });
};
