import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { Kind, KINDS, LiveMessage, type AlertEvent } from '@cityhub/contracts';
import type { Point } from '@cityhub/store';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { CLOSE_TOO_SLOW, LIVE_LIMITS, LiveConnection } from '../live-connection.js';
import { listParam } from '../query.js';
import { errors, PUBLIC_OR_BEARER } from '../responses.js';

export { LIVE_LIMITS } from '../live-connection.js';

const Query = z.strictObject({
  kind: z.string().transform((s) => s.split(',')).pipe(z.array(Kind)).optional().describe('One or more kinds, comma-separated; all without it.'),
  asset: listParam('Only these asset ids, comma-separated.').optional(),
  token: z.string().optional().describe('An API token, for browsers that cannot set a header on a WebSocket (only needed when public reading is off).'),
});

/** `GET /live` (WebSocket): readings as they arrive, filtered by kind and asset. */
export const liveRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const limits = { ...LIVE_LIMITS, ...deps.liveLimits };
  app.route({
    method: 'GET',
    url: '/live',
    schema: {
      summary: 'WebSocket: readings as they become durable',
      description: 'Upgrade to a WebSocket. The first message is `hello` (the filter), then one `reading` message per reading, as JSON text frames ' +
        '(`LiveMessage`). Client messages are ignored. A client that stops reading gets only the newest reading per asset once ' +
        `${limits.coalesceAboveBytes} bytes wait unsent, and is closed with code ${CLOSE_TOO_SLOW} after ${limits.maxLagMs / 1000} s behind. ` +
        'A bad query is refused before the upgrade (400).',
      tags: ['readings'], security: PUBLIC_OR_BEARER, querystring: Query,
      response: {
        101: { description: 'Switching Protocols: a stream of LiveMessage text frames', content: { 'application/json': { schema: LiveMessage } } },
        ...errors(400, 401, 426, 429),
      },
    },
    // A plain GET (no upgrade) gets this; `wsHandler` rather than `websocket: true` also keeps the route in the
    // OpenAPI document, which @fastify/websocket would hide.
    handler: async (_req, reply) => {
      reply.header('upgrade', 'websocket');
      throw new ApiError('UPGRADE_REQUIRED', 'this route is a WebSocket: connect with "Upgrade: websocket" (ws:// or wss://)');
    },
    wsHandler: (socket: WebSocket, req) => {
      const q = req.query;
      const kinds = new Set(q.kind ?? KINDS);
      const assets = q.asset ? new Set(q.asset) : null;
      const hello: LiveMessage = { type: 'hello', kinds: [...kinds], assets: assets ? [...assets] : null };
      socket.send(JSON.stringify(hello));
      deps.metrics?.liveClients(1);
      const conn = new LiveConnection(socket, { kinds, assets }, limits, (buffered) => {
        req.log.warn({ buffered }, 'live client too slow; disconnecting');
      });
      const onPoints = (points: Point[]) => conn.offer(points);
      deps.live.on('points', onPoints);
      // Alerts of the kinds and assets asked for go out as they open, are acknowledged and clear.
      const onAlert = (event: AlertEvent) => {
        if (!kinds.has(event.kind) || (assets && !assets.has(event.asset)) || socket.readyState !== socket.OPEN) return;
        const msg: LiveMessage = { type: 'alert', event };
        socket.send(JSON.stringify(msg));
      };
      deps.alerts?.events.on('event', onAlert);
      socket.on('close', () => {
        deps.metrics?.liveClients(-1);
        conn.dispose();
        deps.live.off('points', onPoints);
        deps.alerts?.events.off('event', onAlert);
      });
      socket.on('message', () => { /* the stream is one-way; client messages are ignored */ });
    },
  });
};
