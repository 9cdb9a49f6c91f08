import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { DEFAULT_CITY_TZ, PageConfig } from '@cityhub/contracts';
import type { ApiDeps } from '../deps.js';
import { errors, json, ANONYMOUS } from '../responses.js';
import { OIDC_LOGIN_PATH, OIDC_LOGOUT_PATH } from './oidc.js';

/** `GET /config`: what the dashboard needs to know of this hub (basemap style URL, raw retention, time zone, OpenID Connect sign-in). */
export const configRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  app.get('/config', {
    schema: {
      operationId: 'getConfig', summary: 'What the dashboard needs to know of this hub', tags: ['catalogue'], security: ANONYMOUS,
      response: { 200: json('Hub settings', PageConfig), ...errors(401, 429) },
    },
  }, async (): Promise<PageConfig> => ({
    basemapStyle: deps.basemapStyle ?? null, retentionDays: deps.retentionDays ?? 30, tz: deps.timeZone ?? DEFAULT_CITY_TZ,
    ...(deps.oidc && deps.people && { oidc: { name: deps.oidc.name, login: OIDC_LOGIN_PATH, logout: OIDC_LOGOUT_PATH } }),
  }));
};
