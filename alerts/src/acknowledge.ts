import type { AlertEvent } from '@cityhub/contracts';
import type { Store } from '@cityhub/store';

/**
 * Acknowledges an alert from the shared alert log: the acknowledgement is an event in the store like the
 * engine's own, so every api node answers with it. Null when the alert is not open.
 */
export async function acknowledge(store: Pick<Store, 'listAlertEvents' | 'writeAlertEvents'>, alert: string, by: string): Promise<AlertEvent | null> {
  const events = await store.listAlertEvents({ alert, limit: 100 });
  const opened = events.find((e) => e.state === 'opened');
  if (!opened || events.some((e) => e.state === 'cleared')) return null;
  const at = Date.now();
  const ev: AlertEvent = {
    id: `${alert}:acknowledged:${at}`, alert, rule: opened.rule, kind: opened.kind, asset: opened.asset, severity: opened.severity,
    state: 'acknowledged', at, value: null, message: `acknowledged by ${by}`, by,
  };
  await store.writeAlertEvents([ev]);
  return ev;
}
