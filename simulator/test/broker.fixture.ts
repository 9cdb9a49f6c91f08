/**
 * The hub's own broker for the simulator's tests: `createBroker` of @cityhub/broker, its devices authenticated
 * against the device registry as `cityhub start` wires it (src/parts.ts, deviceHooks), plus a read-only service
 * account, the observer, that may subscribe to every device topic. Not a mock: real MQTT over TCP.
 */
import { createBroker, type BrokerHooks, type RunningBroker } from '@cityhub/broker';
import { SERVICE_CLIENT_ID_PREFIX, silentLogger } from '@cityhub/contracts';
import type { FileRegistry } from '@cityhub/devices';
import mqtt, { type MqttClient } from 'mqtt';

export const OBSERVER = { username: 'observer', password: 'observer-secret' };

/** One message an observer saw. */
export interface Seen { topic: string; payload: string; retain: boolean }

export interface TestBroker {
  url: string;
  broker: RunningBroker;
  /** The most telemetry messages waiting for their PUBACK at once. */
  maxPending(): number;
  /** Subscribes an observer to `filter` and collects what it sees. */
  observe(filter: string): Promise<Seen[]>;
  close(): Promise<void>;
}

/**
 * The broker's hooks: devices of `registry` (verified first, as the hub does, so a device another process has
 * just added counts), the observer as a service, and telemetry acknowledged after `ackDelayMs` (the hub's
 * ingest acknowledges once the readings are durable; here nothing is stored).
 */
function hooks(registry: FileRegistry, ackDelayMs: number, pending: { now: number; max: number }): BrokerHooks {
  return {
    async authenticate(id, secret) {
      if (!(await registry.verify(id, secret))) return null;
      const d = registry.get(id);
      return d ? { id: d.id, kind: d.kind } : null;
    },
    service: (username, secret) => (username === OBSERVER.username && secret === OBSERVER.password ? { name: 'observer' } : null),
    async telemetry() {
      if (ackDelayMs === 0) return;
      pending.now++;
      pending.max = Math.max(pending.max, pending.now);
      await new Promise((r) => setTimeout(r, ackDelayMs));
      pending.now--;
    },
    denied: async () => {},
  };
}

/** Starts the broker on a free loopback port; `ackDelayMs` holds each telemetry PUBACK back that long. */
export async function startTestBroker(registry: FileRegistry, ackDelayMs = 0): Promise<TestBroker> {
  const pending = { now: 0, max: 0 };
  const broker = await createBroker({ hooks: hooks(registry, ackDelayMs, pending), logger: silentLogger });
  const url = `mqtt://127.0.0.1:${await broker.listen('127.0.0.1', 0)}`;
  const clients: MqttClient[] = [];
  return {
    url,
    broker,
    maxPending: () => pending.max,
    async observe(filter) {
      const seen: Seen[] = [];
      const c = await mqtt.connectAsync(url, { ...OBSERVER, clientId: `${SERVICE_CLIENT_ID_PREFIX}observer-${process.pid}-${Date.now()}`, protocolVersion: 4, reconnectPeriod: 0 });
      clients.push(c);
      c.on('message', (topic, payload, packet) => seen.push({ topic, payload: payload.toString(), retain: packet.retain }));
      await c.subscribeAsync(filter, { qos: 1 });
      return seen;
    },
    async close() {
      await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
      await broker.close();
    },
  };
}

/** Polls `cond` every 25 ms; throws after `timeoutMs`. */
export async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
