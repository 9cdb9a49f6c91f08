import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { parseTime, type AlertEvent } from '@cityhub/contracts';
import { needs, requireRole } from '../auth.js';
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
const Query = z.strictObject({
  state: z.enum(['open', 'cleared', 'all']).default('open'),
  asset: z.string().min(1).max(200).optional(),
  rule: z.string().min(1).max(64).optional(),
  from: time.optional(),
  to: time.optional(),
});

/** An alert as the API shows it: its events folded into one record. */
export interface AlertView {
  id: string; rule: string; kind: string; asset: string; severity: string;
  status: 'open' | 'acknowledged' | 'cleared';
  opened_at: string; acknowledged_at: string | null; acknowledged_by: string | null; cleared_at: string | null;
  message: string; value: number | null;
}

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
      message: opened.message, value: opened.value,
    });
  }
  return out.sort((a, b) => b.opened_at.localeCompare(a.opened_at));
}

/** `/alerts`: open and past alerts from the alert log; acknowledgement (operator); notification deliveries (operator). */
export const alertsRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.get('/alerts', async (req) => {
    const q = parseInput(Query, req.query);
    const to = q.to ?? Date.now() + 60_000;
    const from = q.from ?? to - 30 * 86_400_000;
    if (from >= to) throw new ApiError('BAD_REQUEST', 'from must be before to');
    const events = await deps.store.listAlertEvents({ from, to, limit: 5_000, ...(q.asset && { asset: q.asset }), ...(q.rule && { rule: q.rule }) });
    const alerts = foldAlerts(events).filter((a) => q.state === 'all' || (q.state === 'open' ? a.status !== 'cleared' : a.status === 'cleared'));
    return { items: alerts };
  });

  app.post('/alerts/:id/ack', { preHandler: needs(deps, 'operator') }, async (req) => {
    const who = requireRole(deps, req, 'operator');
    const { id } = parseInput(z.strictObject({ id: z.string().min(1).max(300) }), req.params);
    if (!deps.alerts) throw new ApiError('UNAVAILABLE', 'this API node does not evaluate alerts');
    const ev = await deps.alerts.acknowledge(id, who.id);
    if (!ev) throw new ApiError('NOT_FOUND', `no open alert ${id}`);
    return ev;
  });

  app.get('/alerts/deliveries', { preHandler: needs(deps, 'operator') }, async () => {
    return { items: [...(deps.alerts?.deliveries() ?? [])].reverse() };
  });
};
