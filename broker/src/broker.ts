import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { Aedes, type AedesOptions, type Client, type PublishPacket, type Subscription } from 'aedes';
import { isStatusPayload, maySubscribe, mayServiceSubscribe, publishRight, type DeviceIdentity, type ServiceIdentity } from './acl.js';
import { ConnectionsPerIp, guarded, PublishRate } from './limits.js';
import { AUTH_LIMITS, AuthGuard, type AuthLimits } from './auth-guard.js';
import { authenticateDevice, AuthError } from './authenticate.js';

export interface BrokerLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/** What the composition root hands the broker: it knows nothing of ingest or the registry. */
export interface BrokerHooks {
  /**
   * The device if the credentials are right, else null. With `cachedOnly` (an id or address that is backed
   * off), answer only from secrets verified before, without the slow hash.
   */
  authenticate(id: string, secret: string, opts?: { cachedOnly?: boolean }): Promise<DeviceIdentity | null>;
  /**
   * Takes a telemetry message. Resolve only once it is durable: the PUBACK is sent after it resolves, and
   * not at all if it rejects (the connection then closes, and the device publishes it again).
   */
  telemetry(device: DeviceIdentity, topic: string, payload: Buffer): Promise<void>;
  /**
   * A read-only service client (an api node, a city system): the identity if `username`/`secret` name one,
   * else null, and the credentials are then checked as a device's. Services may subscribe to every
   * reading and to the hub's own topics, never publish.
   */
  service?(username: string, secret: string): Promise<ServiceIdentity | null> | ServiceIdentity | null;
  /** A publish outside the device's own topics; the broker refuses it and closes the connection. */
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
}
export const DEFAULT_LIMITS: BrokerLimits = {
  maxPacketBytes: 1024 * 1024, maxConnectionsPerIp: 20_000, publishPerSecond: 50, publishBurst: 200, maxThrottleMs: 10_000, keepaliveMaxS: 1_200,
};

/** What the limits did, for logs and metrics. */
export interface LimitStats { throttled: number; rateDisconnects: number; oversize: number; ipRefused: number }

export interface BrokerOptions {
  hooks: BrokerHooks;
  logger: BrokerLogger;
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
  close(): Promise<void>;
}

/**
 * An aedes broker whose hooks hold devices to their own topics. Only `authorizePublish` runs before aedes
 * writes the PUBACK (aedes' `lib/handlers/publish.js`), so the telemetry hook runs inside it: the device is
 * acknowledged only once its readings are on disk.
 */
export async function createBroker(opts: BrokerOptions): Promise<RunningBroker> {
  const { hooks, logger } = opts;
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const identities = new WeakMap<Client, DeviceIdentity>();
  const services = new WeakMap<Client, ServiceIdentity>();
  let connected = 0;
  let serviceCount = 0;
  const perIp = new ConnectionsPerIp(limits.maxConnectionsPerIp);
  const guard = new AuthGuard({ ...AUTH_LIMITS, ...opts.authLimits });
  // The address of each connection, for the login back-off (aedes sees only the stream).
  const addresses = new WeakMap<object, string>();
  const rate = new PublishRate(limits.publishPerSecond, limits.publishBurst);
  const limitStats: LimitStats = { throttled: 0, rateDisconnects: 0, oversize: 0, ipRefused: 0 };

  const aedes = await Aedes.createBroker({
    keepaliveLimit: limits.keepaliveMaxS,
    ...opts.aedes,
    preConnect(_client, packet, callback) {
      // [MQTT-3.1.3-8] an empty client id with CleanSession=0 must be refused with CONNACK 0x02.
      if (!packet.clientId) return callback(new AuthError(2, 'a client id is required'), false);
      callback(null, true);
    },
    authenticate(client, username, password, callback) {
      const secret = password ? Buffer.from(password).toString('utf8') : '';
      if (!username || !secret) return callback(new AuthError(4, 'username and password are required'), false);
      const check = async (): Promise<AuthError | null> => {
        const svc = hooks.service ? await hooks.service(username, secret) : null;
        if (svc) {
          services.set(client, svc);
          serviceCount++;
          client.conn.once('close', () => serviceCount--);
          logger.info({ service: svc.name, client: client.id }, 'service client connected');
          return null;
        }
        if (client.id !== username) return new AuthError(2, 'the client id must be the device id');
        const device = await authenticateDevice(guard, hooks, username, secret, addresses.get(client.conn) ?? 'unknown', logger);
        if (device instanceof AuthError) return device;
        identities.set(client, device);
        return null;
      };
      check().then(
        (refused) => (refused ? callback(refused, false) : callback(null, true)),
        (err: Error) => callback(new AuthError(3, `authentication unavailable: ${err.message}`), false),
      );
    },
    authorizePublish(client, packet, callback) {
      const device = client ? identities.get(client) : undefined;
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      const right = device ? publishRight(device, packet.topic) : null;
      if (!device || right === null || (right === 'status' && !isStatusPayload(payload))) {
        const why = !device
          ? (client && services.has(client) ? 'a service connection may only subscribe' : 'not a device connection')
          : right === null
            ? `device ${device.id} may publish only to city/${device.kind}/${device.id}/telemetry|status`
            : 'a status payload is "online" or "offline"';
        logger.warn({ device: device?.id, topic: packet.topic }, `publish refused: ${why}`);
        hooks.denied(device ?? null, packet.topic, payload, why).then(
          () => callback(new Error(why)),
          () => callback(new Error(why)),
        );
        return;
      }
      if (right === 'status') return callback(null);
      // Over its rate, a device waits for its PUBACK (throttled, nothing dropped); far over it, it is
      // disconnected with the reason in the log, and publishes again when it reconnects.
      const wait = rate.delayFor(device.id);
      if (wait > limits.maxThrottleMs) {
        limitStats.rateDisconnects++;
        logger.warn({ device: device.id, rate: limits.publishPerSecond, behindMs: wait }, 'disconnected: publishing far over its rate');
        return callback(new Error('publish rate exceeded'));
      }
      if (wait > 0) limitStats.throttled++;
      const go = () => hooks.telemetry(device, packet.topic, payload).then(
        () => callback(null),
        (err: Error) => {
          logger.warn({ device: device.id, err: err.message }, 'telemetry not acknowledged: not durable');
          callback(err);
        },
      );
      if (wait > 0) setTimeout(() => void go(), wait);
      else void go();
    },
    authorizeSubscribe(client, sub: Subscription, callback) {
      const device = client ? identities.get(client) : undefined;
      const service = client ? services.get(client) : undefined;
      if (service ? !mayServiceSubscribe(sub.topic) : !device || !maySubscribe(device, sub.topic)) {
        logger.warn({ device: device?.id, service: service?.name, topic: sub.topic }, 'subscription refused');
        // A null subscription makes aedes answer 0x80, failure, for this filter [MQTT-3.9.3-2].
        return callback(null, null);
      }
      callback(null, sub);
    },
  });

  aedes.on('publish', (packet: PublishPacket, client: Client | null) => {
    if (!hooks.status || !packet.topic.endsWith('/status') || packet.topic.startsWith('$SYS')) return;
    const device = client ? identities.get(client) : undefined;
    if (!device || publishRight(device, packet.topic) !== 'status') return;
    const s = Buffer.from(packet.payload).toString('utf8');
    if (s === 'online' || s === 'offline') hooks.status(device, s);
  });
  aedes.on('client', () => hooks.connections?.(++connected));
  // Rate buckets outlive connections, so reconnecting does not refill one.
  aedes.on('clientDisconnect', () => hooks.connections?.(--connected));
  aedes.on('clientError', (client: Client, err: Error) => logger.debug({ client: client.id, err: err.message }, 'client error'));

  /** Every transport ends here: per-IP limit, packet-size guard, then aedes. */
  // Every accepted connection, so that close() can end them: a server's close() waits for its connections.
  const open = new Set<Duplex>();
  const accept = (stream: Duplex, ip: string) => {
    open.add(stream);
    stream.once('close', () => open.delete(stream));
    if (!perIp.take(ip)) {
      limitStats.ipRefused++;
      logger.warn({ ip, max: limits.maxConnectionsPerIp }, 'connection refused: too many from this address');
      stream.destroy();
      return;
    }
    stream.once('close', () => perIp.release(ip));
    const conn = guarded(stream, limits.maxPacketBytes, (err) => {
      limitStats.oversize++;
      logger.warn({ ip, err: err.message }, 'connection closed: packet over the size limit or malformed');
    });
    addresses.set(conn, ip);
    aedes.handle(conn);
  };
  const onSocket = (socket: Socket) => accept(socket, socket.remoteAddress ?? 'unknown');

  const servers: Array<Server | ReturnType<typeof createHttpServer>> = [];
  const bind = async (server: Server | ReturnType<typeof createHttpServer>, host: string, port: number) => {
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return (server.address() as AddressInfo).port;
  };
  const wsServers: WebSocketServer[] = [];
  return {
    aedes,
    listen: (host, port) => bind(createServer(onSocket), host, port),
    listenTls: (host, port, tls) => bind(createTlsServer(tls, onSocket), host, port),
    async listenWs(host, port, tls) {
      const http = tls ? (await import('node:https')).createServer(tls) : createHttpServer();
      const wss = new WebSocketServer({ server: http, path: '/mqtt', maxPayload: limits.maxPacketBytes + 8 });
      wsServers.push(wss);
      wss.on('connection', (ws, req) => accept(createWebSocketStream(ws), req.socket.remoteAddress ?? 'unknown'));
      return bind(http, host, port);
    },
    limitStats: () => ({ ...limitStats }),
    connectedDevices: () => connected,
    serviceClients: () => serviceCount,
    async close() {
      for (const w of wsServers) w.close();
      for (const s of open) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
      await new Promise<void>((r) => aedes.close(() => r()));
    },
  };
}
