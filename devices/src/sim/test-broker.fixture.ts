/**
 * A real aedes broker for the simulator's tests, holding devices to their own topics as the hub's broker
 * does, with an observer account that may subscribe to everything. Not a mock: real MQTT over TCP.
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import { parseTopic } from '@cityhub/contracts';
import { Aedes, type AuthenticateError } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import type { FileRegistry } from '../registry/file-registry.js';

export const OBSERVER = { username: 'observer', password: 'observer-secret' };

/** One message an observer saw. */
export interface Seen { topic: string; payload: string; retain: boolean }

export interface TestBroker {
  url: string;
  broker: Aedes;
  /** The most telemetry messages waiting for their PUBACK at once. */
  maxPending(): number;
  /** Subscribes an observer to `filter` and collects what it sees. */
  observe(filter: string): Promise<Seen[]>;
  close(): Promise<void>;
}

/** Starts the broker on a free loopback port; `ackDelayMs` holds each telemetry PUBACK back that long. */
export async function startTestBroker(registry: FileRegistry, ackDelayMs = 0): Promise<TestBroker> {
  let pending = 0;
  let maxPending = 0;
  const broker = await Aedes.createBroker({
    authenticate: (client, username, password, done) => {
      const secret = password?.toString() ?? '';
      const refuse = () => {
        const err: AuthenticateError = Object.assign(new Error('bad user name or password'), { returnCode: 4 });
        done(err, false);
      };
      if (username === OBSERVER.username) return secret === OBSERVER.password ? done(null, true) : refuse();
      if (!username || client.id !== username) return refuse();
      registry.verify(username, secret).then((ok) => (ok ? done(null, true) : refuse()), refuse);
    },
    authorizePublish: (client, packet, cb) => {
      const t = parseTopic(packet.topic);
      if (!client || !t || t.deviceId !== client.id) return cb(new Error('not your topic'));
      if (t.channel !== 'telemetry' || ackDelayMs === 0) return cb(null);
      pending++;
      maxPending = Math.max(maxPending, pending);
      setTimeout(() => {
        pending--;
        cb(null);
      }, ackDelayMs);
    },
  });
  const server: Server = createServer(broker.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: MqttClient[] = [];
  return {
    url,
    broker,
    maxPending: () => maxPending,
    async observe(filter) {
      const seen: Seen[] = [];
      const c = await mqtt.connectAsync(url, { ...OBSERVER, protocolVersion: 4, reconnectPeriod: 0 });
      clients.push(c);
      c.on('message', (topic, payload, packet) => seen.push({ topic, payload: payload.toString(), retain: packet.retain }));
      await c.subscribeAsync(filter, { qos: 1 });
      return seen;
    },
    async close() {
      await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
      await new Promise<void>((r) => broker.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
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
