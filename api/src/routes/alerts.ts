import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ackCommentOf, AlertEvent, AlertList, AlertView, Delivery } from '@cityhub/contracts';
import { auditName, needs, requireRole } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { timeParam } from '../query.js';
import { BEARER, errors, json, ANONYMOUS } from '../responses.js';

const Query = z.strictObject({
  state: z.enum(['open', 'cleared', 'all']).default('open').describe('open (opened or acknowledged), cleared, or all'),
  asset: z.string().min(1).max(200).optional(),
  rule: z.string().min(1).max(64).optional(),
  from: timeParam('from', 'ISO 8601 or epoch ms; default 30 days before `to`').optional(),
  to: timeParam('to', 'ISO 8601 or epoch ms; default now').optional(),
});

/** Folds the alert log (newest first) into alerts. */
export function foldAlerts(events: readonly AlertEvent[]): AlertView[] {
  const byAlert = new Map<string, AlertEvent[]>();
  for (const e of events) byAlert.set(e.alert, [...(byAlert.get(e.alert) ?? []), e]);
  const out: AlertView[] = [];
  for (const [id, evs] of byAlert) {
    const opened = evs.find((e) => e.state === 'opened');
    if (!opened) continue;
    const ack = evs.find((e) => e.state === 'acknowledged');
    const cleared = evs.find((e) => e.state === 'cleared');
    const iso = (e?: AlertEvent) => (e ? new Date(e.at).toISOString() : null);
    out.push({
      id, rule: opened.rule, kind: opened.kind, asset: opened.asset, severity: opened.severity,
      status: cleared ? 'cleared' : ack ? 'acknowledged' : 'open',
      opened_at: iso(opened)!, acknowledged_at: iso(ack), acknowledged_by: ack?.by ?? null, cleared_at: iso(cleared),
      acknowledged_comment: ack ? ackCommentOf(ack.message, ack.by) : null,
      message: opened.message, value: opened.value,
    });
  }
  return out.sort((a, b) => b.opened_at.localeCompare(a.opened_at));
}

/** `/alerts`: open and past alerts from the alert log; acknowledgement (operator); notification deliveries (operator). */
export const alertsRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  app.get('/alerts', {
    schema: {
      operationId: 'listAlerts', summary: 'Alerts from the alert log', tags: ['alerts'], security: ANONYMOUS, querystring: Query,
      description: 'Alerts opened in [from, to), folded from their events (opened, acknowledged, cleared); newest first. At most 5,000 events are read per request.',
      response: { 200: json('Alerts', AlertList), ...errors(400, 401, 429, 503) },
    },
  }, async (req) => {
    const q = req.query;
    const to = q.to ?? Date.now() + 60_000;
    const from = q.from ?? to - 30 * 86_400_000;
    if (from >= to) throw new ApiError('BAD_REQUEST', 'from must be before to');
    const events = await deps.store.listAlertEvents({ from, to, limit: 5_000, ...(q.asset && { asset: q.asset }), ...(q.rule && { rule: q.rule }) });
    const alerts = foldAlerts(events).filter((a) => q.state === 'all' || (q.state === 'open' ? a.status !== 'cleared' : a.status === 'cleared'));
    return { items: alerts };
  });

  app.post('/alerts/:id/ack', {
    preHandler: needs(deps, 'operator'),
    schema: {
      operationId: 'acknowledgeAlert', summary: 'Acknowledge an alert, open or already cleared, with an optional comment (operator)', tags: ['alerts'], security: BEARER,
      description: 'An alert that cleared overnight can be acknowledged in the morning. The comment is kept in the event\'s message: ' +
        '"acknowledged by {who}: {comment}", where {who} is the signed-in user name or the token\'s id; the acknowledgement is in the audit log.',
      params: z.strictObject({ id: z.string().min(1).max(300) }),
      // No body at all (a plain POST) reaches the handler as null.
      body: z.strictObject({ comment: z.string().trim().min(1).max(1_000).optional() }).nullish(),
      response: { 200: json('The acknowledgement event', AlertEvent), ...errors(400, 401, 403, 404, 429, 503) },
    },
  }, async (req) => {
    const who = requireRole(deps, req, 'operator');
    if (!deps.alerts) throw new ApiError('UNAVAILABLE', 'this API node does not evaluate alerts');
    const comment = req.body?.comment;
    const ev = await deps.alerts.acknowledge(req.params.id, who.id, comment);
    if (!ev) throw new ApiError('NOT_FOUND', `no alert ${req.params.id}`);
    await deps.people?.audit.append({ action: 'alert_acknowledged', who: auditName(who), address: req.ip ?? null, alert: req.params.id, ...(comment && { comment }) });
    return ev;
  });

  app.get('/alerts/deliveries', {
    preHandler: needs(deps, 'operator'),
    schema: {
      operationId: 'listAlertDeliveries', summary: 'Alert notification deliveries, newest first (operator)', tags: ['alerts'], security: BEARER,
      description: 'The newest 500 deliveries to webhooks and e-mail, with their attempts and last error.',
      response: { 200: json('Deliveries', z.object({ items: z.array(Delivery) })), ...errors(401, 403, 429) },
    },
  }, async () => ({ items: [...(deps.alerts?.deliveries() ?? [])].reverse() }));
};
