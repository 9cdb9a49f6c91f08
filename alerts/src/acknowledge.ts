import type { AlertEvent } from '@cityhub/contracts';
import type { Store } from '@cityhub/store';

/** The message of an acknowledgement event: who, and their comment when they gave one. */
export const ackMessage = (by: string, comment?: string): string => `acknowledged by ${by}${comment ? `: ${comment}` : ''}`;

/**
 * Acknowledges an alert from the shared alert log, open or already cleared (the overnight alerts are
 * acknowledged in the morning): the acknowledgement is an event in the store like the engine's own, so
 * every api node answers with it. Null when no alert has that id.
 */
export async function acknowledge(store: Pick<Store, 'listAlertEvents' | 'writeAlertEvents'>, alert: string, by: string, comment?: string): Promise<AlertEvent | null> {
  const events = await store.listAlertEvents({ alert, limit: 100 });
  const opened = events.find((e) => e.state === 'opened');
  if (!opened) return null;
  const at = Date.now();
  const ev: AlertEvent = {
    id: `${alert}:acknowledged:${at}`, alert, rule: opened.rule, kind: opened.kind, asset: opened.asset, severity: opened.severity,
    state: 'acknowledged', at, value: null, message: ackMessage(by, comment), by,
  };
  await store.writeAlertEvents([ev]);
  return ev;
}
