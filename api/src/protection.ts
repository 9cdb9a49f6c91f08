import fastifyCors from '@fastify/cors';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiDeps } from './deps.js';
import { tokenOf } from './auth.js';
import { ApiError } from './errors.js';

export const DEFAULT_RATE_LIMIT_PER_MIN = 600;

/** Headers a browser script on another origin may read. */
const EXPOSED = ['x-request-id', 'retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'link', 'x-licence', 'x-attribution', 'x-time-zone', 'content-disposition',
  'ngsild-results-count'];

/**
 * CORS for the origins the city allows (`'*'` for any). With none, no CORS header is sent: browsers then let
 * only the hub's own pages (same origin) read the answers.
 */
export async function registerCors(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const origins = deps.corsOrigins;
  if (!origins || (origins !== '*' && origins.length === 0)) return;
  await app.register(fastifyCors, {
    origin: origins === '*' ? '*' : [...origins],
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH'],
    allowedHeaders: ['authorization', 'content-type', 'x-request-id'],
    exposedHeaders: EXPOSED,
    maxAge: 600,
  });
}

/** True when the request carries a token the hub accepts, in `Authorization` or as `?token=`. */
function hasValidToken(deps: ApiDeps, req: FastifyRequest): boolean {
  const token = tokenOf(req);
  return !!token && !!deps.auth?.verify(token);
}

/**
 * A per-address limit on the routes of `scope` (per minute, a fixed window). Anonymous callers are limited;
 * holders of a valid API token are not. Off when `rateLimitPerMin` is 0.
 */
export async function registerRateLimit(scope: FastifyInstance, deps: ApiDeps): Promise<void> {
  const max = deps.rateLimitPerMin ?? DEFAULT_RATE_LIMIT_PER_MIN;
  if (max <= 0) return;
  await scope.register(fastifyRateLimit, {
    max,
    timeWindow: 60_000,
    allowList: (req) => hasValidToken(deps, req),
    errorResponseBuilder: (_req, ctx) =>
      new ApiError('RATE_LIMITED', `more than ${ctx.max} requests a minute from this address; retry in ${ctx.after}`),
  });
}

/** How long a stop waits for requests still in flight (or a request still arriving) before it cuts them. */
export const CLOSE_GRACE_MS = 5_000;

/**
 * Bounds `app.close()`: Node's server closes idle connections at once but waits for every open request, and a
 * client that sends half a request and then nothing would hold a stop for as long as it likes. After
 * `graceMs` the connections still open are cut, and the log says so.
 */
export function boundClose(app: FastifyInstance, graceMs = CLOSE_GRACE_MS): void {
  let timer: NodeJS.Timeout | undefined;
  app.addHook('preClose', async () => {
    timer = setTimeout(() => {
      app.log.warn({ graceMs }, 'stopping: cut the HTTP connections still open after the grace period');
      app.server.closeAllConnections();
    }, graceMs);
    timer.unref();
  });
  app.addHook('onClose', async () => clearTimeout(timer));
}
