import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiDeps } from '../deps.js';
import { errors, json, PUBLIC_OR_BEARER } from '../responses.js';

/** `GET /config`: what the dashboard needs to know of this hub (basemap style URL, raw retention). */
export const configRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  app.get('/config', {
    schema: {
      summary: 'What the dashboard needs to know of this hub', tags: ['catalogue'], security: PUBLIC_OR_BEARER,
      response: { 200: json('Hub settings', z.object({ basemapStyle: z.string().nullable(), retentionDays: z.number() })), ...errors(401, 429) },
    },
  }, async () => ({ basemapStyle: deps.basemapStyle ?? null, retentionDays: deps.retentionDays ?? 30 }));
};
