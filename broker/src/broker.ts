import { LISTENER_CLIENT_SUFFIX, parseDeviceStatus } from '@cityhub/contracts';
import { Aedes, type Client } from 'aedes';
import { publishRight } from './acl.js';
import { DEFAULT_LIMITS, type BrokerContext, type BrokerOptions, type RunningBroker } from './types.js';
import { noNumberCache, PublishRate, SubscriptionLimit } from './limits.js';
import { authorizeForward, authorizePublish, deadLetterWildcards, onWildcardError } from './publish.js';
import { authorizeSubscribe, boundSubscriptions } from './subscribe.js';
import { transports } from './transports.js';
import { rememberConnections } from './wills.js';
import { AUTH_LIMITS, AuthGuard } from './auth-guard.js';
import { authenticate, evictSessions } from './sessions.js';

export { DEFAULT_LIMITS } from './types.js';
export type { BrokerContext, BrokerHooks, BrokerLimits, BrokerOptions, LimitStats, LoginRefusal, RunningBroker, SessionCheck, TelemetryVerdict } from './types.js';

function context(opts: BrokerOptions): BrokerContext {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  return {
    hooks: opts.hooks, logger: opts.logger, limits,
    identities: new WeakMap(), services: new WeakMap(), superseded: new WeakSet(),
    rate: new PublishRate(limits.publishPerSecond, limits.publishBurst),
    limitStats: { throttled: 0, rateDisconnects: 0, oversize: 0, ipRefused: 0 },
    subscriptions: new SubscriptionLimit(limits.maxSubscriptionsPerClient, limits.maxFilterBytes),
    wildcards: new WeakMap(),
    counts: { connected: 0, services: 0 },
    refusals: new Map(),
    emptyIds: new WeakSet(),
    lastNode: new Map(),
    guard: new AuthGuard({ ...AUTH_LIMITS, ...opts.authLimits }),
    addresses: new WeakMap(),
    publish: () => undefined,
  };
}

/** The broker's events: status changes, connection counts, client errors. */
function watch(ctx: BrokerContext, aedes: Aedes): void {
  const { hooks, logger } = ctx;
  aedes.on('publish', (packet, client: Client | null) => {
    if (!hooks.status || !packet.topic.endsWith('/status') || packet.topic.startsWith('$SYS')) return;
    const device = client ? ctx.identities.get(client) : undefined;
    if (!device || publishRight(device, packet.topic) !== 'status') return;
    const s = parseDeviceStatus(Buffer.from(packet.payload));
    if (s) hooks.status(device, s);
  });
  // Connections are counted as they authenticate (sessions.ts). Rate buckets outlive connections, so
  // reconnecting does not refill one.
  aedes.on('clientError', (client: Client, err: Error) => {
    onWildcardError(ctx, client, err);
    logger.debug({ client: client.id, err: err.message }, 'client error');
  });
}

/**
 * An aedes broker whose hooks hold devices to their own topics and every client to the limits.
 * Publishing: publish.ts; subscribing: subscribe.ts; listeners: transports.ts.
 */
export async function createBroker(opts: BrokerOptions): Promise<RunningBroker> {
  const ctx = context(opts);
  noNumberCache();
  const aedes = await Aedes.createBroker({
    keepaliveLimit: ctx.limits.keepaliveMaxS,
    ...opts.aedes,
    preConnect(client, packet, callback) {
      // [MQTT-3.1.3-9] an empty client id is answered CONNACK 0x02, which only authenticate() can send
      // (a preConnect refusal closes the connection without a CONNACK: aedes lib/handlers/connect.js).
      if (!packet.clientId) ctx.emptyIds.add(client);
      // A subscribe-only connection publishes nothing, a will included: it is closed at once.
      if (packet.clientId?.endsWith(LISTENER_CLIENT_SUFFIX) && packet.will) return callback(new Error('a subscribe-only connection may not set a will'), false);
      callback(null, true);
    },
    authenticate: authenticate(ctx),
    authorizePublish: authorizePublish(ctx),
    authorizeSubscribe: authorizeSubscribe(ctx),
    authorizeForward: authorizeForward(),
  });
  ctx.publish = (topic, payload) => aedes.publish({
    cmd: 'publish', topic, payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload), qos: 1, retain: false, dup: false,
  }, () => undefined);
  watch(ctx, aedes);
  boundSubscriptions(ctx, aedes);
  rememberConnections(ctx, aedes);
  const listeners = transports(ctx, aedes, (client) => deadLetterWildcards(ctx, client));
  return {
    aedes,
    ...listeners,
    limitStats: () => ({ ...ctx.limitStats }),
    connectedDevices: () => ctx.counts.connected,
    serviceClients: () => ctx.counts.services,
    refusedLogins: () => new Map(ctx.refusals),
    loginBackoffs: () => ctx.guard.stats.refusedFast,
    evict: (check) => evictSessions(ctx, aedes, check),
  };
}
