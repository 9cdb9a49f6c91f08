import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Kind, LatestResponse } from '@cityhub/contracts';
import type { ApiDeps } from '../deps.js';
import { errors, json, ANONYMOUS } from '../responses.js';

const Query = z.strictObject({ kind: Kind.describe('The kind of asset.') });

/** `GET /latest?kind=`: the latest reading of every asset of a kind that has one. */
export const latestRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  app.get('/latest', {
    schema: {
      operationId: 'listLatest', summary: 'The latest reading of every asset of a kind',
      description: 'Assets that never sent a reading are absent. Times are ISO 8601 (UTC).',
      tags: ['readings'], security: ANONYMOUS, querystring: Query,
      response: { 200: json('One item per asset that has a reading', LatestResponse), ...errors(400, 401, 429, 503) },
    },
  }, async (req) => {
    const { kind } = req.query;
    const rows = await deps.store.latest(kind);
    return {
      kind,
      items: rows.map((r) => ({ asset: r.asset, kind: r.kind, device: r.device, ts: new Date(r.ts).toISOString(), values: r.values })),
    };
  });
};
