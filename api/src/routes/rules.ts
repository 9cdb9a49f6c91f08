import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Rule, RuleSet, Severity } from '@cityhub/contracts';
import { needs } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { ApiError, parseInput } from '../errors.js';
import { BEARER, errors, json, ANONYMOUS } from '../responses.js';

/** A rule set as it is shown: webhook secrets are never sent, only "(set)". */
const RuleSetView = z.object({
  rules: z.array(Rule),
  notify: z.object({
    webhooks: z.array(z.object({ url: z.string(), secret: z.literal('(set)'), min_severity: Severity })),
    email: z.object({ to: z.array(z.string()), min_severity: Severity }).optional(),
  }),
});

/** `/rules`: the alert rules (anyone may read them; webhook secrets are never shown), changed by an admin. */
export const rulesRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const rules = () => {
    if (!deps.rules) throw new ApiError('UNAVAILABLE', 'this API node has no alert rules');
    return deps.rules;
  };
  const redact = (s: RuleSet): z.infer<typeof RuleSetView> => ({ ...s, notify: { ...s.notify, webhooks: s.notify.webhooks.map((w) => ({ ...w, secret: '(set)' as const })) } });

  app.get('/rules', {
    schema: { operationId: 'getRules', summary: 'The alert rules and notification targets', tags: ['alerts'], security: ANONYMOUS, response: { 200: json('The rule set', RuleSetView), ...errors(401, 429, 503) } },
  }, async () => redact(rules().get()));

  app.put('/rules', {
    preHandler: needs(deps, 'admin'),
    schema: {
      operationId: 'putRules', summary: 'Replace the alert rules and notification targets (admin)', tags: ['alerts'], security: BEARER,
      description: 'The whole set, validated. A webhook whose secret is "(set)" keeps the secret it has (so a rule set read with GET can be sent back).',
      body: z.unknown(),
      response: { 200: json('The saved rule set', RuleSetView), ...errors(400, 401, 403, 413, 415, 429, 503) },
    },
  }, async (req) => {
    const body = req.body as { notify?: { webhooks?: Array<{ url?: unknown; secret?: unknown }> } } | undefined;
    const known = new Map(rules().get().notify.webhooks.map((w) => [w.url, w.secret]));
    for (const w of body?.notify?.webhooks ?? []) {
      if (w && w.secret === '(set)' && typeof w.url === 'string' && known.has(w.url)) w.secret = known.get(w.url);
    }
    const set = parseInput(RuleSet, body);
    return redact(await rules().put(set));
  });
};
