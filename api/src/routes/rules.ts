import type { FastifyPluginAsync } from 'fastify';
import { RuleSet } from '@cityhub/contracts';
import { needs } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { ApiError, parseInput } from '../errors.js';

/** `/rules`: the alert rules (anyone may read them; webhook secrets are never shown), changed by an admin. */
export const rulesRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  const rules = () => {
    if (!deps.rules) throw new ApiError('UNAVAILABLE', 'this API node has no alert rules');
    return deps.rules;
  };
  const redact = (s: RuleSet) => ({ ...s, notify: { ...s.notify, webhooks: s.notify.webhooks.map((w) => ({ ...w, secret: '(set)' })) } });

  app.get('/rules', async () => redact(rules().get()));

  app.put('/rules', { preHandler: needs(deps, 'admin') }, async (req) => {
    // A rule set read with GET and sent back keeps the secrets it did not show.
    const body = req.body as { notify?: { webhooks?: Array<{ url?: unknown; secret?: unknown }> } } | undefined;
    const known = new Map(rules().get().notify.webhooks.map((w) => [w.url, w.secret]));
    for (const w of body?.notify?.webhooks ?? []) {
      if (w && w.secret === '(set)' && typeof w.url === 'string' && known.has(w.url)) w.secret = known.get(w.url);
    }
    const set = parseInput(RuleSet, body);
    return redact(await rules().put(set));
  });
};
