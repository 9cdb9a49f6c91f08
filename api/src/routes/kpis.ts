import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { parseTime } from '@cityhub/contracts';
import type { ApiDeps } from '../deps.js';
import { ApiError, parseInput } from '../errors.js';
import { computeKpis } from '../kpis/compute.js';

const HOUR = 3_600_000;
const time = z.string().transform((v, ctx) => {
  const t = parseTime(v);
  if (t === null) {
    ctx.addIssue({ code: 'custom', message: 'must be ISO 8601 or epoch milliseconds' });
    return z.NEVER;
  }
  return t;
});
const Query = z.strictObject({ from: time.optional(), to: time.optional() });

/** `GET /kpis?from=&to=`: the city's KPIs with targets and trends over whole hours (default the last 24 h, at most 366 days). */
export const kpisRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.get('/kpis', async (req) => {
    const q = parseInput(Query, req.query);
    const to = Math.ceil((q.to ?? Date.now()) / HOUR) * HOUR;
    const from = Math.floor((q.from ?? to - 24 * HOUR) / HOUR) * HOUR;
    if (from >= to) throw new ApiError('BAD_REQUEST', 'from must be before to');
    if (to - from > 366 * 24 * HOUR) throw new ApiError('BAD_REQUEST', 'KPIs are computed over at most 366 days');
    const items = await computeKpis(deps.store, deps.catalogue.features, from, to);
    return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), items };
  });
};
