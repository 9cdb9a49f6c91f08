import { readFile } from 'node:fs/promises';
import type { AlertBus, BusListener } from '@cityhub/alerts';
import { createBroker, type AuthLimits, type BrokerHooks, type RunningBroker } from '@cityhub/broker';
import {
  GATEWAY_KIND, GatewayStatus, isReadingKind, MAX_FEEDBACK_ERRORS, STATUS_OFFLINE,
  type Config, type DeviceFeedback, type DeviceRegistry, type DeviceStatus, type Kind,
} from '@cityhub/contracts';
import type { AcceptResult, Ingest } from '@cityhub/ingest';
import { heapGrowth, SEMI_SPACE_MB, semiSpaceChosen } from '../ops/heap.js';
import type { Logger } from '../ops/logger.js';
import type { Stops } from './stops.js';

/**
 * The broker hooks that bind devices to the registry and their readings to ingest; `onStatus` hears each
 * device's status by its asset (for the alert engine).
 */
export function deviceHooks(registry: DeviceRegistry, ingest: Ingest, onStatus?: (asset: string, kind: Kind, s: DeviceStatus) => void): BrokerHooks {
  const setStatus = (id: string, s: DeviceStatus) => {
    ingest.stats.status(id, s);
    const d = registry.get(id);
    if (d && isReadingKind(d.kind)) onStatus?.(d.asset, d.kind, s);
  };
  return {
    async authenticate(id, secret, opts) {
      // verify first: on a shared registry it fetches a device that another node has just added.
      if (!(await registry.verify(id, secret, opts))) return null;
      const d = registry.get(id);
      return d ? { id: d.id, kind: d.kind } : null;
    },
    // Only a payload whose every reading passed is relayed to `city/#` subscribers; the device hears of the others.
    telemetry: async (device, topic, payload) => {
      const r = await ingest.accept(device.id, topic, payload);
      return r.rejected.length === 0 ? { relay: true } : { relay: false, feedback: JSON.stringify(feedbackOf(topic, r)) };
    },
    enabled: (id) => registry.get(id)?.enabled === true,
    denied: (device, topic, payload, why) => ingest.denied(device?.id ?? null, topic, payload, why),
    isChild: (gateway, child) => registry.get(child)?.gateway === gateway,
    childStatus: (gateway, topic, payload) => gatewayStatus(registry, ingest, setStatus, gateway.id, topic, payload),
    status: (device, s) => {
      setStatus(device.id, s);
      // A gateway that dropped takes its children with it.
      if (device.kind === GATEWAY_KIND && s === STATUS_OFFLINE) {
        for (const d of registry.list()) if (d.gateway === device.id) setStatus(d.id, s);
      }
    },
  };
}

/**
 * A gateway's status for its children: applied to each child when every one named is registered under the
 * gateway, else (or when it is not `{"<childId>": "online" | "offline"}`) dead-lettered whole and not applied.
 */
async function gatewayStatus(registry: DeviceRegistry, ingest: Ingest, set: (id: string, s: DeviceStatus) => void, gw: string, topic: string, payload: Buffer): Promise<void> {
  let parsed: ReturnType<typeof GatewayStatus.safeParse> | undefined;
  try {
    parsed = GatewayStatus.safeParse(JSON.parse(payload.toString('utf8')));
  } catch {
    parsed = undefined;
  }
  if (!parsed?.success) return ingest.denied(gw, topic, payload, 'a gateway status is "online", "offline" or {"<childId>": "online" | "offline", …}');
  const foreign = Object.keys(parsed.data).filter((id) => registry.get(id)?.gateway !== gw);
  if (foreign.length) return ingest.denied(gw, topic, payload, `gateway ${gw} may report only devices registered under it; not its child: ${foreign.slice(0, 10).join(', ')}`);
  for (const [id, s] of Object.entries(parsed.data)) set(id, s);
}

/** The message a device receives on its errors topic for one telemetry message with refusals. */
export function feedbackOf(topic: string, r: AcceptResult, now = Date.now()): DeviceFeedback {
  return {
    topic, received: new Date(now).toISOString(), accepted: r.accepted,
    errors: r.rejected.slice(0, MAX_FEEDBACK_ERRORS), omitted: Math.max(0, r.rejected.length - MAX_FEEDBACK_ERRORS),
  };
}

/** A running broker and the addresses it listens on. */
export interface ListeningBroker { broker: RunningBroker; mqttUrl: string; extra: string[]; tls: { cert: Buffer; key: Buffer } | undefined }

/** Creates the broker with the configured limits and opens its listeners (MQTT, and mqtts / WebSocket when configured). */
export async function listenBroker(config: Config, log: Logger, hooks: BrokerHooks, stops: Stops, aedes?: Parameters<typeof createBroker>[0]['aedes']): Promise<ListeningBroker & { closed: () => boolean }> {
  const heap = heapGrowth({ log: (msg, fields) => log.info(fields, msg) });
  if (!semiSpaceChosen()) {
    log.info({ semiSpaceMb: 16 }, `heap: node was started without --max-semi-space-size; V8's young generation may take 32 MB rather than the 16 MB of --max-semi-space-size=${SEMI_SPACE_MB} (npm start and bin/cityhub.js give it)`);
  }
  const broker = await createBroker({
    logger: log.child({ name: 'broker' }),
    limits: {
      maxPacketBytes: config.CITYHUB_MQTT_MAX_PACKET_BYTES, maxConnectionsPerIp: config.CITYHUB_MQTT_MAX_CONNECTIONS_PER_IP,
      publishPerSecond: config.CITYHUB_MQTT_PUBLISH_PER_SECOND, publishBurst: config.CITYHUB_MQTT_PUBLISH_BURST, keepaliveMaxS: config.CITYHUB_MQTT_KEEPALIVE_MAX_S,
    },
    authLimits: authLimits(config),
    // With many devices connected, V8's heap grows by at most 20 % (src/ops/heap.ts).
    hooks: { ...hooks, connections: (n) => { hooks.connections?.(n); heap.connections(n); } },
    ...(aedes && { aedes }),
  });
  let closed = false;
  stops.push('broker', () => { closed = true; return broker.close(); });
  const mqttPort = await broker.listen(config.CITYHUB_MQTT_HOST, config.CITYHUB_MQTT_PORT);
  const mqttUrl = `mqtt://${config.CITYHUB_MQTT_HOST}:${mqttPort}`;
  const tls = await readTls(config);
  const extra: string[] = [];
  if (tls) extra.push(`mqtts://${config.CITYHUB_MQTT_HOST}:${await broker.listenTls(config.CITYHUB_MQTT_HOST, config.CITYHUB_MQTTS_PORT, tls)}`);
  if (config.CITYHUB_MQTT_WS_PORT !== undefined) {
    extra.push(`${tls ? 'wss' : 'ws'}://${config.CITYHUB_MQTT_HOST}:${await broker.listenWs(config.CITYHUB_MQTT_HOST, config.CITYHUB_MQTT_WS_PORT, tls)}/mqtt`);
  }
  return { broker, mqttUrl, extra, tls, closed: () => closed };
}

/** How often sessions are checked against the registry and tokens: a revocation ends its sessions within 2 s. */
const SESSION_SWEEP_MS = 500;

/**
 * Ends the MQTT sessions of devices disabled or removed and of API tokens revoked, whichever process made
 * the change (the registry and tokens see another process's change on read: a file's stat, Redis' watch).
 */
export function endRevokedSessions(broker: RunningBroker, registry: DeviceRegistry, tokens: { list(): Array<{ id: string }> }, stops: Stops): void {
  const timer = setInterval(() => {
    let ids: Set<string> | undefined;
    broker.evict({
      device: (id) => registry.get(id)?.enabled === true,
      service: (name) => !name.startsWith('token:') || (ids ??= new Set(tokens.list().map((t) => t.id))).has(name.slice(6)),
    });
  }, SESSION_SWEEP_MS);
  timer.unref();
  stops.push('session sweep', async () => clearInterval(timer));
}

/** The TLS certificate and key, when both are configured. */
export async function readTls(config: Config): Promise<{ cert: Buffer; key: Buffer } | undefined> {
  return config.CITYHUB_TLS_CERT && config.CITYHUB_TLS_KEY
    ? { cert: await readFile(config.CITYHUB_TLS_CERT), key: await readFile(config.CITYHUB_TLS_KEY) }
    : undefined;
}

interface MqPacket { topic: string; payload: Buffer | string }
type MqListener = (packet: MqPacket, done: () => void) => void;
interface Mq {
  on(topic: string, listener: MqListener, cb?: () => void): void;
  removeListener(topic: string, listener: MqListener, cb?: () => void): void;
}

/**
 * The broker's message bus as alerts use it: publishes through aedes (QoS 0, not retained), and listens on
 * aedes' emitter, which with Redis (mqemitter-redis) carries every node's messages.
 */
export function brokerBus(broker: RunningBroker): AlertBus {
  const mq = (broker.aedes as unknown as { mq: Mq }).mq;
  return {
    publish(topic, payload) {
      broker.aedes.publish({ cmd: 'publish', topic, payload, qos: 0, retain: false, dup: false }, () => undefined);
    },
    async subscribe(filter: string, listener: BusListener) {
      const onMessage: MqListener = (packet, done) => {
        listener(packet.topic, Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload));
        done();
      };
      await new Promise<void>((r) => mq.on(filter, onMessage, () => r()));
      return () => new Promise<void>((r) => mq.removeListener(filter, onMessage, () => r()));
    },
  };
}

/** The login back-off from the configuration: per address off when its free failures are 0. */
function authLimits(config: Config): Partial<AuthLimits> {
  const perIp = config.CITYHUB_MQTT_AUTH_FAILURES_PER_IP;
  const off = Number.MAX_SAFE_INTEGER;
  return {
    freeFailuresPerAddress: perIp === 0 ? off : perIp, ...(perIp === 0 && { maxPendingPerAddress: off }),
    maxBackoffMs: config.CITYHUB_MQTT_AUTH_BACKOFF_MAX_S * 1000,
  };
}
