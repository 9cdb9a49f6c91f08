import type { FastifyPluginAsync } from 'fastify';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { Kind, KINDS, type LiveMessage } from '@cityhub/contracts';
import type { Point } from '@cityhub/store';
import type { ApiDeps } from '../deps.js';
import { parseInput } from '../errors.js';

/** How a slow client is treated (documented in the README). */
export const LIVE_LIMITS = {
  /** Above this many unsent bytes, readings are coalesced to the latest per asset. */
  coalesceAboveBytes: 1024 * 1024,
  /** A client that stays backed up this long is disconnected with a reason. */
  maxLagMs: 30_000,
  flushEveryMs: 250,
} as const;

const Query = z.strictObject({
  kind: z.string().transform((s) => s.split(',')).pipe(z.array(Kind)).optional(),
  asset: z.string().transform((s) => s.split(',').filter(Boolean)).optional(),
});

/** `GET /live` (WebSocket): readings as they arrive, filtered by kind and asset. */
export const liveRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.get('/live', { websocket: true }, (socket: WebSocket, req) => {
    let q: z.infer<typeof Query>;
    try {
      q = parseInput(Query, req.query);
    } catch (err) {
      socket.close(1008, (err as Error).message.slice(0, 120));
      return;
    }
    const kinds = new Set(q.kind ?? KINDS);
    const assets = q.asset ? new Set(q.asset) : null;
    const hello: LiveMessage = { type: 'hello', kinds: [...kinds], assets: assets ? [...assets] : null };
    socket.send(JSON.stringify(hello));
    deps.metrics?.liveClients(1);

    // When the client falls behind, keep only the newest reading per asset until it catches up.
    const pending = new Map<string, string>();
    let laggingSince = 0;
    const flush = () => {
      if (socket.readyState !== socket.OPEN) return;
      if (socket.bufferedAmount > LIVE_LIMITS.coalesceAboveBytes) {
        if (laggingSince && Date.now() - laggingSince > LIVE_LIMITS.maxLagMs) {
          req.log.warn({ buffered: socket.bufferedAmount }, 'live client too slow; disconnecting');
          socket.close(4008, 'too slow: could not keep up with live readings');
        }
        return;
      }
      laggingSince = 0;
      for (const m of pending.values()) socket.send(m);
      pending.clear();
    };
    const timer = setInterval(flush, LIVE_LIMITS.flushEveryMs);
    const onPoints = (points: Point[]) => {
      for (const p of points) {
        if (!kinds.has(p.kind) || (assets && !assets.has(p.asset))) continue;
        const msg: LiveMessage = { type: 'reading', kind: p.kind, asset: p.asset, device: p.device, ts: new Date(p.ts).toISOString(), values: p.values };
        const text = JSON.stringify(msg);
        if (pending.size === 0 && socket.bufferedAmount <= LIVE_LIMITS.coalesceAboveBytes) socket.send(text);
        else {
          if (!laggingSince) laggingSince = Date.now();
          pending.set(p.asset, text);
        }
      }
    };
    deps.live.on('points', onPoints);
    socket.on('close', () => {
      deps.metrics?.liveClients(-1);
      clearInterval(timer);
      deps.live.off('points', onPoints);
    });
    socket.on('message', () => { /* the stream is one-way; client messages are ignored */ });
  });
};
