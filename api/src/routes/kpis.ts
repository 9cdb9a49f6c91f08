import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { cityClock, DEFAULT_CITY_TZ, KpiList } from '@cityhub/contracts';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { computeKpis } from '../kpis/compute.js';
import { localTimeParam, readTime, tzParam } from '../query.js';
import { errors, json, ANONYMOUS } from '../responses.js';

const HOUR = 3_600_000;
const Query = z.strictObject({
  from: localTimeParam('from', 'ISO 8601 or epoch ms; default 24 h before `to`.').optional(),
  to: localTimeParam('to', 'ISO 8601 or epoch ms; default now.').optional(),
  tz: tzParam().optional(),
});

/** `GET /kpis?from=&to=`: the city's KPIs with targets and trends over whole hours (default the last 24 h, at most 366 days). */
export const kpisRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  app.get('/kpis', {
    schema: {
      operationId: 'listKpis', summary: 'City KPIs with targets and trends', tags: ['kpis'], security: ANONYMOUS, querystring: Query,
      description: 'From the hourly rollups over whole hours (default the last 24 h; at most 366 days): congestion index, corridor speed, Wi-Fi client-hours and availability against the period before; energy per m² against the same period a year earlier, or the first recorded period. ' +
        'A bare date in `from`/`to` is midnight in `tz` (default the city\'s zone, `CITYHUB_TZ`, stated in the answer).',
      response: { 200: json('KPIs', KpiList), ...errors(400, 401, 429, 503) },
    },
  }, async (req) => {
    const q = req.query;
    const clock = cityClock(q.tz ?? deps.timeZone ?? DEFAULT_CITY_TZ);
    const to = Math.ceil((readTime(q.to, clock) ?? Date.now()) / HOUR) * HOUR;
    const from = Math.floor((readTime(q.from, clock) ?? to - 24 * HOUR) / HOUR) * HOUR;
    if (from >= to) throw new ApiError('BAD_REQUEST', 'from must be before to');
    if (to - from > 366 * 24 * HOUR) throw new ApiError('BAD_REQUEST', 'KPIs are computed over at most 366 days');
    const items = await computeKpis(deps.store, deps.catalogue.features, from, to);
    return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), tz: clock.zone, items };
  });
};
