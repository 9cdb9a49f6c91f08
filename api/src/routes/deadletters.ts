import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DeadLetterList, DeadLetterReason, ReplayResult, type DeadLetterView } from '@cityhub/contracts';
import { isTruncated, type DeadLetter } from '@cityhub/store';
import { needs } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { timeParam } from '../query.js';
import { BEARER, errors, json } from '../responses.js';

const Filter = {
  device: z.string().min(1).max(64).optional().describe('Only this device id.'),
  reason: DeadLetterReason.optional().describe('Only this reason.'),
  from: timeParam('from', 'Received at or after.').optional(),
  to: timeParam('to', 'Received before.').optional(),
};
const ListQuery = z.strictObject({ ...Filter, limit: z.coerce.number().int().min(1).max(1_000).default(100).describe('At most this many, newest first (1–1000).') });
const ReplayBody = z.strictObject({ ...Filter, limit: z.number().int().min(1).max(1_000).default(1_000) });

const view = (d: DeadLetter): DeadLetterView => ({
  id: d.id ?? '', received: new Date(d.received).toISOString(), device: d.device, topic: d.topic, reason: d.reason, message: d.message, payload: d.payload,
  size: d.size ?? Buffer.byteLength(d.payload, 'utf8'), sha256: d.sha256 ?? null, truncated: isTruncated(d),
});

/** `/deadletters`: rejected readings with their reasons (operator), and their replay. */
export const deadLettersRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  app.get('/deadletters', {
    onRequest: needs(deps, 'operator'),
    schema: {
      operationId: 'listDeadLetters', summary: 'Rejected readings with their reasons (operator)',
      description: 'Every reading the hub refused, with the reason and the payload as received: its first 8 KiB, with the full size and SHA-256. ' +
        'At most 1000 per request, newest first; narrow `from` and `to` to page through more.',
      tags: ['dead letters'], security: BEARER, querystring: ListQuery,
      response: { 200: json('Dead letters, newest first', DeadLetterList), ...errors(400, 401, 403, 503) },
    },
  }, async (req) => {
    const q = req.query;
    if (q.from !== undefined && q.to !== undefined && q.from >= q.to) throw new ApiError('BAD_REQUEST', 'from must be before to');
    return { items: (await deps.store.listDeadLetters(q)).map(view) };
  });

  app.post('/deadletters/replay', {
    onRequest: needs(deps, 'operator'),
    schema: {
      operationId: 'replayDeadLetters', summary: 'Re-ingests the dead letters that pass validation now (operator)',
      description: 'Those that pass are spooled like new readings and their dead letters deleted; the others stay. ' +
        'A reading stored before is overwritten by itself (the store key is series + device time), never duplicated. At most 1000 per request.',
      // No body at all (fastify gives null): every dead letter, up to the limit.
      tags: ['dead letters'], security: BEARER, body: ReplayBody.nullish(),
      response: { 200: json('What happened to the dead letters examined', ReplayResult), ...errors(400, 401, 403, 413, 415, 503) },
    },
  }, async (req) => {
    if (!deps.replay) throw new ApiError('UNAVAILABLE', 'this API node does not ingest: replay on a node that does');
    const letters = await deps.store.listDeadLetters(req.body ?? ReplayBody.parse({}));
    const r = await deps.replay(letters);
    // The readings that passed are durable in the spool now; only then do their dead letters go.
    if (r.replayed.length) await deps.store.deleteDeadLetters(r.replayed);
    req.log.info({ replayed: r.replayed.length, stillRejected: r.stillRejected.length }, 'dead letters replayed');
    return { examined: letters.length, replayed: r.replayed.length, still_rejected: r.stillRejected, not_replayable: r.notReplayable.length };
  });
};
