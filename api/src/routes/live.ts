import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { Kind, KINDS, LiveMessage } from '@cityhub/contracts';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { CLOSE_TOO_MANY, CLOSE_TOO_SLOW, LIVE_LIMITS, LiveFeed } from '../live-feed.js';
import { listParam } from '../query.js';
import { errors, ANONYMOUS } from '../responses.js';

export { CLOSE_TOO_MANY, CLOSE_TOO_SLOW, LIVE_LIMITS } from '../live-feed.js';

const Query = z.strictObject({
  kind: z.string().transform((s) => s.split(',')).pipe(z.array(Kind)).optional().describe('One or more kinds, comma-separated; all without it.'),
  asset: listParam('Only these asset ids, comma-separated.').optional(),
  token: z.string().optional().describe('An API token, for browsers that cannot set a header on a WebSocket (only needed when public reading is off).'),
});

/** `GET /live` (WebSocket): readings as they arrive, filtered by kind and asset. */
export const liveRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const limits = { ...LIVE_LIMITS, ...deps.liveLimits };
  const feed = new LiveFeed(deps.live, deps.alerts?.events, limits, app.log);
  app.addHook('onClose', async () => feed.close());
  deps.metrics?.liveStats?.(() => feed.stats);
  app.route({
    method: 'GET',
    url: '/live',
    schema: {
      operationId: 'streamLive', summary: 'WebSocket: readings as they become durable',
      description: 'Upgrade to a WebSocket. The first message is `hello` (the filter), then, every ' +
        `${limits.tickMs} ms (up to ${limits.maxTickMs} ms with many clients), one \`readings\` message with the readings that became durable meanwhile, and \`alert\` messages ` +
        '(`LiveMessage`, JSON text frames; every time is ISO 8601). Client messages are ignored. ' +
        `At most ${limits.maxClients} live clients per node and ${limits.maxClientsPerAddress} per address, anonymous or with a token: ` +
        `one more is closed at once with code ${CLOSE_TOO_MANY}. A client that stops reading gets only the newest reading per asset once ` +
        `${limits.coalesceAboveBytes} bytes wait unsent for it, or while more than ${limits.maxBufferedBytes} bytes wait for all clients ` +
        `(the slowest first), and is closed with code ${CLOSE_TOO_SLOW} after ${limits.maxLagMs / 1000} s behind or when it is still behind ` +
        'as the total goes over again. A bad query is refused before the upgrade (400).',
      tags: ['readings'], security: ANONYMOUS, querystring: Query,
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
      const client = feed.admit(socket, { kinds, assets }, req.ip);
      if ('refused' in client) {
        req.log.warn({ reason: client.refused }, 'live client refused');
        socket.close(CLOSE_TOO_MANY, `too many live clients: ${client.refused}`);
        setTimeout(() => socket.terminate(), limits.closeGraceMs).unref();
        return;
      }
      const hello: LiveMessage = { type: 'hello', kinds: [...kinds], assets: assets ? [...assets] : null };
      socket.send(JSON.stringify(hello));
      deps.metrics?.liveClients(1);
      socket.on('close', () => {
        deps.metrics?.liveClients(-1);
        feed.remove(client);
      });
      socket.on('message', () => { /* the stream is one-way; client messages are ignored */ });
    },
  });
};
