import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { KpiList } from '@cityhub/contracts';
import type { ApiDeps } from '../deps.js';
import { computeKpis } from '../kpis/compute.js';
import { kpiPeriod } from '../kpis/period.js';
import { timeParam } from '../query.js';
import { errors, json, PUBLIC_OR_BEARER } from '../responses.js';

const Query = z.strictObject({
  from: timeParam('from', 'ISO 8601 or epoch ms (rounded down to the hour); default 24 h before `to`').optional(),
  to: timeParam('to', 'ISO 8601 or epoch ms; the period ends at the last complete hour at or before it, never after now; default now').optional(),
});

/**
 * `GET /kpis?from=&to=`: the city's KPIs with targets and trends over whole hours (default the 24 h to the last
 * complete hour, at most 366 days). No period ends after now (`kpiPeriod`).
 */
export const kpisRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  app.get('/kpis', {
    schema: {
      summary: 'City KPIs with targets and trends', tags: ['kpis'], security: PUBLIC_OR_BEARER, querystring: Query,
      description: 'From the hourly rollups over whole, complete hours (default the 24 h to the last complete hour; at most 366 days; a period never ends after now): congestion index, corridor speed, Wi-Fi client-hours and availability against the period before; energy per m² against the same period a year earlier, or the first recorded period.',
      response: { 200: json('KPIs', KpiList), ...errors(400, 401, 429, 503) },
    },
  }, async (req) => {
    const { from, to } = kpiPeriod(req.query, Date.now());
    const items = await computeKpis(deps.store, deps.catalogue.features, from, to);
    return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), items };
  });
};
