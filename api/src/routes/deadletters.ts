import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { parseTime, type DeadLetterView } from '@cityhub/contracts';
import type { DeadLetter } from '@cityhub/store';
import { needs } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { ApiError, parseInput } from '../errors.js';

const time = z.string().transform((v, ctx) => {
  const t = parseTime(v);
  if (t === null) {
    ctx.addIssue({ code: 'custom', message: 'must be ISO 8601 or epoch milliseconds' });
    return z.NEVER;
  }
  return t;
});
const Filter = {
  device: z.string().min(1).max(64).optional(),
  reason: z.string().min(1).max(64).optional(),
  from: time.optional(),
  to: time.optional(),
};
const ListQuery = z.strictObject({ ...Filter, limit: z.coerce.number().int().min(1).max(1_000).default(100) });
const ReplayBody = z.strictObject({ ...Filter, limit: z.number().int().min(1).max(1_000).default(1_000) });

const view = (d: DeadLetter): DeadLetterView => ({
  id: d.id ?? '', received: new Date(d.received).toISOString(), device: d.device, topic: d.topic, reason: d.reason, message: d.message, payload: d.payload,
});

/** `/deadletters`: rejected readings with their reasons (operator), and their replay. */
export const deadLettersRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.get('/deadletters', { preHandler: needs(deps, 'operator') }, async (req) => {
    const q = parseInput(ListQuery, req.query);
    if (q.from !== undefined && q.to !== undefined && q.from >= q.to) throw new ApiError('BAD_REQUEST', 'from must be before to');
    return { items: (await deps.store.listDeadLetters(q)).map(view) };
  });

  app.post('/deadletters/replay', { preHandler: needs(deps, 'operator') }, async (req) => {
    if (!deps.replay) throw new ApiError('UNAVAILABLE', 'this API node does not ingest: replay on a node that does');
    const body = parseInput(ReplayBody, req.body ?? {});
    const letters = await deps.store.listDeadLetters(body);
    const r = await deps.replay(letters);
    // The readings that passed are durable in the spool now; only then do their dead letters go.
    if (r.replayed.length) await deps.store.deleteDeadLetters(r.replayed);
    req.log.info({ replayed: r.replayed.length, stillRejected: r.stillRejected.length }, 'dead letters replayed');
    return { examined: letters.length, replayed: r.replayed.length, still_rejected: r.stillRejected, not_replayable: r.notReplayable.length };
  });
};
