import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { Kind, type LatestResponse } from '@cityhub/contracts';
import type { ApiDeps } from '../deps.js';
import { parseInput } from '../errors.js';

const Query = z.strictObject({ kind: Kind });

/** `GET /latest?kind=`: the latest reading of every asset of a kind that has one. */
export const latestRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.get('/latest', async (req): Promise<LatestResponse> => {
    const { kind } = parseInput(Query, req.query);
    const rows = await deps.store.latest(kind);
    return {
      kind,
      items: rows.map((r) => ({ asset: r.asset, kind: r.kind, device: r.device, ts: new Date(r.ts).toISOString(), values: r.values })),
    };
  });
};
