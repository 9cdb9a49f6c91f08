import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { cityClock, DEFAULT_CITY_TZ, KpiList } from '@cityhub/contracts';
import type { ApiDeps } from '../deps.js';
import { computeKpis } from '../kpis/compute.js';
import { kpiPeriod } from '../kpis/period.js';
import { localTimeParam, readTime, tzParam } from '../query.js';
import { errors, json, ANONYMOUS } from '../responses.js';

const Query = z.strictObject({
  from: localTimeParam('from', 'ISO 8601 or epoch ms (rounded down to the hour); default 24 h before `to`.').optional(),
  to: localTimeParam('to', 'ISO 8601 or epoch ms; the period ends at the last complete hour at or before it, never after now; default now.').optional(),
  tz: tzParam().optional(),
});

/**
 * `GET /kpis?from=&to=`: the city's KPIs with targets and trends over whole hours (default the 24 h to the last
 * complete hour, at most 366 days). No period ends after now (`kpiPeriod`).
 */
export const kpisRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  app.get('/kpis', {
    schema: {
      operationId: 'listKpis', summary: 'City KPIs with targets and trends', tags: ['kpis'], security: ANONYMOUS, querystring: Query,
      description: 'From the hourly rollups over whole, complete hours (default the 24 h to the last complete hour; at most 366 days; a period never ends after now): congestion index, corridor speed, Wi-Fi client-hours and availability against the period before; energy per m² against the same period a year earlier, or the first recorded period. ' +
        'A bare date in `from`/`to` is midnight in `tz` (default the city\'s zone, `CITYHUB_TZ`, stated in the answer).',
      response: { 200: json('KPIs', KpiList), ...errors(400, 401, 429, 503) },
    },
  }, async (req) => {
    const q = req.query;
    const clock = cityClock(q.tz ?? deps.timeZone ?? DEFAULT_CITY_TZ);
    const { from, to } = kpiPeriod({ from: readTime(q.from, clock), to: readTime(q.to, clock) }, Date.now());
    const items = await computeKpis(deps.store, deps.catalogue.features, from, to);
    return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), tz: clock.zone, items };
  });
};
