import type { Aedes, AedesOptions, Client, Subscription } from 'aedes';
import { maySubscribe, mayServiceSubscribe } from './acl.js';
import type { BrokerContext } from './types.js';

/** Refusals logged per connection: the first, then one in this many, with the count. */
const LOG_EVERY = 1_000;

/**
 * `authorizeSubscribe`: a device inside its own subtree, a service inside `city/…` and `cityhub/…`, and
 * every client within the subscription limits (count and filter length). A refused filter gets 0x80 in
 * the SUBACK [MQTT-3.9.3-2]; its reason goes to the log.
 */
export function authorizeSubscribe(ctx: BrokerContext): NonNullable<AedesOptions['authorizeSubscribe']> {
  const refusals = new WeakMap<Client, number>();
  return (client, sub: Subscription, callback) => {
    const device = client ? ctx.identities.get(client) : undefined;
    const service = client ? ctx.services.get(client) : undefined;
    const allowed = service ? mayServiceSubscribe(sub.topic) : device !== undefined && maySubscribe(device, sub.topic);
    const why = !allowed ? 'outside what this client may read' : client ? ctx.subscriptions.take(client, sub.topic) : null;
    if (why === null) return callback(null, sub);
    const n = (client ? refusals.get(client) ?? 0 : 0) + 1;
    if (client) refusals.set(client, n);
    if (n === 1 || n % LOG_EVERY === 0) {
      ctx.logger.warn({
        device: device?.id, service: service?.name, topic: sub.topic.slice(0, 300), reason: why, refused: n,
        maxSubscriptions: ctx.limits.maxSubscriptionsPerClient, maxFilterBytes: ctx.limits.maxFilterBytes,
      }, 'subscription refused');
    }
    // A null subscription makes aedes answer 0x80, failure, for this filter [MQTT-3.9.3-2].
    callback(null, null);
  };
}

/**
 * Keeps the subscription accounting true: an unsubscribed filter frees its slot, a closed connection its
 * filters. aedes stores every filter of a SUBSCRIBE packet in the persistence once any one of them was
 * granted (lib/handlers/subscribe.js, storeSubscriptions), so the persistence is handed only the granted
 * ones: a refused filter takes no memory, now or in a restored session.
 */
export function boundSubscriptions(ctx: BrokerContext, aedes: Aedes): void {
  aedes.on('unsubscribe', (filters: string[], client: Client) => {
    for (const f of filters) ctx.subscriptions.release(client, f);
  });
  aedes.on('clientDisconnect', (client: Client) => ctx.subscriptions.forget(client));
  const persistence = (aedes as unknown as { persistence: { addSubscriptions(client: Client, subs: Subscription[]): Promise<void> } }).persistence;
  const add = persistence.addSubscriptions.bind(persistence);
  persistence.addSubscriptions = (client, subs) => add(client, subs.filter((s) => ctx.subscriptions.holds(client, s.topic)));
}
