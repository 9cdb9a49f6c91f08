import type { TlsOptions } from 'node:tls';
import type { Aedes, AedesOptions, Client } from 'aedes';
import type { Logger } from '@cityhub/contracts';
import type { DeviceIdentity, ServiceIdentity } from './acl.js';
import type { PublishRate, SubscriptionLimit } from './limits.js';
import type { AuthGuard, AuthLimits } from './auth-guard.js';

/** The broker's public types and the context its hooks share (broker.ts builds it; the hook files read it). */

/** What a telemetry hook says of a payload it made durable. */
export interface TelemetryVerdict {
  /** False when the payload is not valid: acknowledged, not relayed. */
  relay: boolean;
  /** What to tell the device of its refused readings: published to it on `city/{kind}/{id}/errors`. */
  feedback?: Buffer | string;
}

/** What the composition root hands the broker: it knows nothing of ingest or the registry. */
export interface BrokerHooks {
  /**
   * The device if the credentials are right, else null. With `cachedOnly` (an id or address that is backed
   * off), answer only from secrets verified before, without the slow hash.
   */
  authenticate(id: string, secret: string, opts?: { cachedOnly?: boolean }): Promise<DeviceIdentity | null>;
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
  /**
   * A gateway's status for its children (`{"<childId>": "online" | "offline", …}`, anything other than its
   * own `online`/`offline`): acknowledged once this resolves, never relayed or retained.
   */
  childStatus?(gateway: DeviceIdentity, topic: string, payload: Buffer): Promise<void>;
  /** True when `child` is registered under gateway `gateway` (its messages then count against the child's rate too). */
  isChild?(gateway: string, child: string): boolean;
  /** A device's status changed (its own `online`, or `offline` from itself or its last will). */
  status?(device: DeviceIdentity, status: 'online' | 'offline'): void;
  /** False when a device was disabled or removed since it logged in: its publishes are refused. */
  enabled?(id: string): boolean;
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

/** Why a login was refused: the label of `cityhub_mqtt_logins_refused_total` and the `reason` of its log line. */
export type LoginRefusal = 'empty_client_id' | 'no_credentials' | 'bad_credentials' | 'client_id_mismatch'
  | 'service_client_id' | 'backed_off' | 'unavailable';

/** What may stay connected: checked for every session by {@link evictSessions}. */
export interface SessionCheck {
  device(id: string): boolean;
  service(name: string): boolean;
}

/** What the limits did, for logs and metrics. */
export interface LimitStats { throttled: number; rateDisconnects: number; oversize: number; ipRefused: number }

export interface BrokerOptions {
  hooks: BrokerHooks;
  logger: Logger;
  limits?: Partial<BrokerLimits>;
  /** How failed logins back off; the defaults are `AUTH_LIMITS`. */
  authLimits?: Partial<AuthLimits>;
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
  /** Logins refused since start, by reason. */
  refusedLogins(): Map<LoginRefusal, number>;
  /** Logins refused at once, without a check, because their id or address was backed off. */
  loginBackoffs(): number;
  /** Ends the sessions `check` no longer allows (a disabled device, a revoked token); how many. */
  evict(check: SessionCheck): number;
  close(): Promise<void>;
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
  /** Refused logins by reason (sessions.ts). */
  refusals: Map<LoginRefusal, number>;
  /** Connections whose CONNECT had an empty client id (aedes then makes one up). */
  emptyIds: WeakSet<Client>;
  /** Failed-login back-off per device id and address (auth-guard.ts). */
  guard: AuthGuard;
  /** The remote address of each connection's stream, for the guard. */
  addresses: WeakMap<object, string>;
  /** Publishes a message from the hub itself (QoS 1, not retained); set once aedes exists. */
  publish: (topic: string, payload: Buffer | string) => void;
  /** The node each device last connected to (wills.ts). */
  lastNode: Map<string, string>;
  /**
   * Connections whose client id a newer connection to this node has taken over (sessions.ts): aedes closes
   * them as the new one registers, and their last will, which would say `offline` after the new session's
   * `online`, is not published (publish.ts).
   */
  superseded: WeakSet<Client>;
}

