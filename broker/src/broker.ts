import type { TlsOptions } from 'node:tls';
import { Aedes, type AedesOptions, type Client } from 'aedes';
import type { Logger } from '@cityhub/contracts';
import { publishRight, type DeviceIdentity, type ServiceIdentity } from './acl.js';
import { PublishRate, SubscriptionLimit } from './limits.js';
import { authorizeForward, authorizePublish, deadLetterWildcards, onWildcardError } from './publish.js';
import { authorizeSubscribe, boundSubscriptions } from './subscribe.js';
import { transports } from './transports.js';
import { rememberConnections } from './wills.js';

/** What a telemetry hook says of a payload it made durable. */
export interface TelemetryVerdict {
  /** False when the payload is not valid: acknowledged, not relayed. */
  relay: boolean;
}

/** What the composition root hands the broker: it knows nothing of ingest or the registry. */
export interface BrokerHooks {
  /** The device if the credentials are right, else null. */
  authenticate(id: string, secret: string): Promise<DeviceIdentity | null>;
  /**
   * Takes a telemetry message. Resolve only once it is durable (as readings or dead letters): the PUBACK
   * is sent after it resolves, and not at all if it rejects (the connection then closes, and the device
   * publishes it again). Resolve `{ relay: false }` when the payload is not valid: it is then acknowledged
   * but neither relayed to subscribers nor retained.
   */
  telemetry(device: DeviceIdentity, topic: string, payload: Buffer): Promise<TelemetryVerdict | void>;
  /**
   * A read-only service client (an api node, a city system): the identity if `username`/`secret` name one,
   * else null, and the credentials are then checked as a device's. Services may subscribe to every
   * reading and to the hub's own topics, never publish.
   */
  service?(username: string, secret: string): Promise<ServiceIdentity | null> | ServiceIdentity | null;
  /**
   * A publish outside the device's own topics (the broker then refuses it and closes the connection), or
   * an invalid status payload on its own (acknowledged once this resolves, not relayed).
   */
  denied(device: DeviceIdentity | null, topic: string, payload: Buffer, why: string): Promise<void>;
  /** A device's status changed (its own `online`, or `offline` from itself or its last will). */
  status?(device: DeviceIdentity, status: 'online' | 'offline'): void;
  /** Connected-device count changed. */
  connections?(count: number): void;
}

/** Limits that keep one client from taking the broker down. */
export interface BrokerLimits {
  /** Largest MQTT packet accepted, in bytes (the connection closes on a larger one). */
  maxPacketBytes: number;
  maxConnectionsPerIp: number;
  /** Telemetry publishes per second per device, with bursts of `publishBurst`. */
  publishPerSecond: number;
  publishBurst: number;
  /** A device this far behind its rate is disconnected (its readings wait on the device, unacknowledged). */
  maxThrottleMs: number;
  /** Largest keep-alive a client may ask for, in seconds. */
  keepaliveMaxS: number;
  /** Subscriptions one connection may hold; a filter beyond them gets 0x80 in the SUBACK. */
  maxSubscriptionsPerClient: number;
  /** Longest topic filter, in UTF-8 bytes; a longer one gets 0x80 in the SUBACK. */
  maxFilterBytes: number;
}
export const DEFAULT_LIMITS: BrokerLimits = {
  maxPacketBytes: 1024 * 1024, maxConnectionsPerIp: 20_000, publishPerSecond: 50, publishBurst: 200, maxThrottleMs: 10_000, keepaliveMaxS: 1_200,
  maxSubscriptionsPerClient: 100, maxFilterBytes: 256,
};

/** What the limits did, for logs and metrics. */
export interface LimitStats { throttled: number; rateDisconnects: number; oversize: number; ipRefused: number }

export interface BrokerOptions {
  hooks: BrokerHooks;
  logger: Logger;
  limits?: Partial<BrokerLimits>;
  /** Extra aedes options (persistence, mq for several nodes, limits). */
  aedes?: Partial<AedesOptions>;
}

export interface RunningBroker {
  readonly aedes: Aedes;
  /** Listens for MQTT over TCP; resolves with the bound port. */
  listen(host: string, port: number): Promise<number>;
  /** MQTT over TLS (mqtts). */
  listenTls(host: string, port: number, tls: TlsOptions): Promise<number>;
  /** MQTT over WebSocket (path /mqtt), for browser clients; over TLS when `tls` is given. */
  listenWs(host: string, port: number, tls?: TlsOptions): Promise<number>;
  limitStats(): LimitStats;
  connectedDevices(): number;
  /** Service clients connected to this node now. */
  serviceClients(): number;
  close(): Promise<void>;
}

class AuthError extends Error {
  constructor(readonly returnCode: number, message: string) {
    super(message);
  }
}

/** What the broker's hooks share. */
export interface BrokerContext {
  hooks: BrokerHooks;
  logger: Logger;
  limits: BrokerLimits;
  identities: WeakMap<Client, DeviceIdentity>;
  services: WeakMap<Client, ServiceIdentity>;
  rate: PublishRate;
  limitStats: LimitStats;
  subscriptions: SubscriptionLimit;
  /** A wildcard publish seen by the parser, until aedes reports it (publish.ts). */
  wildcards: WeakMap<Client, { topic: string; payload: Buffer }>;
  counts: { connected: number; services: number };
  /** The node each device last connected to (wills.ts). */
  lastNode: Map<string, string>;
}

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
      if (client.id !== username) return new AuthError(2, 'the client id must be the device id');
      const device = await hooks.authenticate(username, secret);
      if (!device) {
        logger.warn({ device: username }, 'authentication refused');
        return new AuthError(4, 'bad user name or password');
      }
      identities.set(client, device);
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
    const s = Buffer.from(packet.payload).toString('utf8');
    if (s === 'online' || s === 'offline') hooks.status(device, s);
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
      callback(null, true);
    },
    authenticate: authenticate(ctx),
    authorizePublish: authorizePublish(ctx),
    authorizeSubscribe: authorizeSubscribe(ctx),
    authorizeForward: authorizeForward(),
  });
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
