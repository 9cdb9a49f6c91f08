import { parseDeviceStatus } from '@cityhub/contracts';
import { Aedes, type AedesOptions, type Client } from 'aedes';
import { LISTENER_CLIENT_SUFFIX } from '@cityhub/contracts';
import { publishRight } from './acl.js';
import { DEFAULT_LIMITS, type BrokerContext, type BrokerOptions, type RunningBroker } from './types.js';
import { PublishRate, SubscriptionLimit } from './limits.js';
import { authorizeForward, authorizePublish, deadLetterWildcards, onWildcardError } from './publish.js';
import { authorizeSubscribe, boundSubscriptions } from './subscribe.js';
import { transports } from './transports.js';
import { rememberConnections } from './wills.js';
import { AUTH_LIMITS, AuthGuard } from './auth-guard.js';
import { authenticateDevice, AuthError } from './authenticate.js';

export { DEFAULT_LIMITS } from './types.js';
export type { BrokerContext, BrokerHooks, BrokerLimits, BrokerOptions, LimitStats, RunningBroker, TelemetryVerdict } from './types.js';

function context(opts: BrokerOptions): BrokerContext {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  return {
    hooks: opts.hooks, logger: opts.logger, limits,
    identities: new WeakMap(), services: new WeakMap(),
    rate: new PublishRate(limits.publishPerSecond, limits.publishBurst),
    limitStats: { throttled: 0, rateDisconnects: 0, oversize: 0, ipRefused: 0 },
    subscriptions: new SubscriptionLimit(limits.maxSubscriptionsPerClient, limits.maxFilterBytes),
    wildcards: new WeakMap(),
    counts: { connected: 0, services: 0 },
    lastNode: new Map(),
    guard: new AuthGuard({ ...AUTH_LIMITS, ...opts.authLimits }),
    addresses: new WeakMap(),
    publish: () => undefined,
  };
}

/** `authenticate`: a service client by its credentials, else a device whose client id is its device id. */
function authenticate(ctx: BrokerContext): NonNullable<AedesOptions['authenticate']> {
  const { hooks, logger, identities, services } = ctx;
  return (client, username, password, callback) => {
    const secret = password ? Buffer.from(password).toString('utf8') : '';
    if (!username || !secret) return callback(new AuthError(4, 'username and password are required'), false);
    const check = async (): Promise<AuthError | null> => {
      const svc = hooks.service ? await hooks.service(username, secret) : null;
      if (svc) {
        services.set(client, svc);
        ctx.counts.services++;
        client.conn.once('close', () => ctx.counts.services--);
        logger.info({ service: svc.name, client: client.id }, 'service client connected');
        return null;
      }
      const listener = client.id === username + LISTENER_CLIENT_SUFFIX;
      if (client.id !== username && !listener) return new AuthError(2, `the client id must be the device id (or the device id and ${LISTENER_CLIENT_SUFFIX} for a subscribe-only connection)`);
      const device = await authenticateDevice(ctx.guard, hooks, username, secret, ctx.addresses.get(client.conn) ?? 'unknown', logger);
      if (device instanceof AuthError) return device;
      identities.set(client, listener ? { ...device, listenOnly: true } : device);
      return null;
    };
    check().then(
      (refused) => (refused ? callback(refused, false) : callback(null, true)),
      (err: Error) => callback(new AuthError(3, `authentication unavailable: ${err.message}`), false),
    );
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
  aedes.on('client', () => hooks.connections?.(++ctx.counts.connected));
  // Rate buckets outlive connections, so reconnecting does not refill one.
  aedes.on('clientDisconnect', () => hooks.connections?.(--ctx.counts.connected));
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
  const aedes = await Aedes.createBroker({
    keepaliveLimit: ctx.limits.keepaliveMaxS,
    ...opts.aedes,
    preConnect(_client, packet, callback) {
      // [MQTT-3.1.3-8] an empty client id with CleanSession=0 must be refused with CONNACK 0x02.
      if (!packet.clientId) return callback(new AuthError(2, 'a client id is required'), false);
      // A subscribe-only connection publishes nothing, a will included.
      if (packet.clientId.endsWith(LISTENER_CLIENT_SUFFIX) && packet.will) return callback(new AuthError(2, 'a subscribe-only connection may not set a will'), false);
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
  };
}
