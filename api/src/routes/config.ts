import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../deps.js';

/** `GET /config`: what the dashboard needs to know of this hub (basemap style URL, raw retention). */
export const configRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.get('/config', async () => ({ basemapStyle: deps.basemapStyle ?? null, retentionDays: deps.retentionDays ?? 30 }));
};
