import { STATUS_OFFLINE, STATUS_ONLINE, statusTopic, telemetryTopic, type AssetFeature, type Kind } from '@cityhub/contracts';
import mqtt, { type MqttClient } from 'mqtt';
import { makeReading, type SimReading } from './make-reading.js';
import type { SimDeviceState } from './sim-state.js';

/** Counters shared by the fleet (readings, not messages). */
export interface FleetCounters { published: number; acked: number; dropped: number }

/** A logger as pino has it: an object first, then the message. */
export interface SimLogger { info(...a: unknown[]): void; warn(...a: unknown[]): void }

/** Options of one simulated device. */
export interface SimDeviceOptions {
  id: string;
  asset: AssetFeature;
  state: SimDeviceState;
  mqttUrl: string;
  counters: FleetCounters;
  logger: SimLogger;
  /** Readings kept while disconnected; the oldest go first beyond this. */
  bufferLimit: number;
}

/** A buffered backlog is sent in arrays of at most this many readings (the contract allows 5,000). */
const FLUSH_CHUNK = 1_000;
/** Refused credentials are retried ever more slowly, so a misconfigured fleet cannot load the broker. */
const MAX_BACKOFF_MS = 60_000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/** Resolves with `p`, or with undefined after `ms`; a late rejection of `p` is swallowed. */
function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([p.catch(() => undefined), sleep(ms).then(() => undefined)]);
}

/**
 * One simulated field device: a real MQTT client with its own credentials, a persistent session
 * (clean = false, stable client id, as a device does), a retained `offline` last will and a retained
 * `online` on every connect. While disconnected it buffers readings in memory and sends them as one array
 * when it is back.
 */
export class SimDevice {
  readonly id: string;
  readonly kind: Kind;
  private client: MqttClient | undefined;
  private buffer: SimReading[] = [];
  private stopping = false;
  private baseReconnectMs = 1_000 + Math.floor(Math.random() * 2_000);
  private lastError = '';

  constructor(private readonly o: SimDeviceOptions) {
    this.id = o.id;
    this.kind = o.state.kind;
  }

  /** True while the MQTT connection is up. */
  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** Readings waiting for a connection. */
  get buffered(): number {
    return this.buffer.length;
  }

  /** Starts connecting; mqtt.js reconnects by itself from then on. */
  connect(): void {
    const { id, state, mqttUrl } = this.o;
    const client = mqtt.connect(mqttUrl, {
      clientId: id,
      username: id,
      password: state.secret,
      // aedes speaks MQTT 3.1.1 only.
      protocolVersion: 4,
      clean: false,
      keepalive: 30,
      connectTimeout: 15_000,
      // Spread per device so that a broker restart is not met by every device in the same second.
      reconnectPeriod: this.baseReconnectMs,
      reconnectOnConnackError: true,
      will: { topic: statusTopic(this.kind, id), payload: Buffer.from(STATUS_OFFLINE), qos: 1, retain: true },
    });
    client.on('connect', () => {
      client.options.reconnectPeriod = this.baseReconnectMs;
      if (this.lastError) this.o.logger.info({ device: id }, 'simulated device connected again');
      this.lastError = '';
      client.publish(statusTopic(this.kind, id), STATUS_ONLINE, { qos: 1, retain: true }, () => undefined);
      this.flush();
    });
    client.on('error', (err: Error & { code?: number }) => {
      // CONNACK 4 (bad user name or password) and 5 (not authorised): back off.
      if (err.code === 4 || err.code === 5) {
        client.options.reconnectPeriod = Math.min(MAX_BACKOFF_MS, (client.options.reconnectPeriod ?? 1_000) * 2);
      }
      if (err.message !== this.lastError) this.o.logger.warn({ device: id, err: err.message }, 'simulated device MQTT error');
      this.lastError = err.message;
    });
    this.client = client;
  }

  /** Takes one reading at instant `t`: publishes it, or buffers it while disconnected. */
  tick(t: number): void {
    if (this.stopping) return;
    const reading = makeReading(this.o.asset, this.o.state, t);
    if (this.connected) {
      this.flush();
      this.send(reading, 1);
      return;
    }
    this.buffer.push(reading);
    if (this.buffer.length > this.o.bufferLimit) {
      this.buffer.shift();
      this.o.counters.dropped++;
    }
  }

  /**
   * Stops the device cleanly: a retained `offline` first (a clean DISCONNECT does not fire the last
   * will), then a DISCONNECT once in-flight readings are acknowledged.
   */
  async stop(timeoutMs = 3_000): Promise<void> {
    this.stopping = true;
    const client = this.client;
    if (!client) return;
    if (client.connected) {
      await within(client.publishAsync(statusTopic(this.kind, this.id), STATUS_OFFLINE, { qos: 1, retain: true }), timeoutMs);
      const ended = await within(client.endAsync(false).then(() => true), timeoutMs);
      if (!ended) client.stream?.destroy();
    } else {
      await within(client.endAsync(true), timeoutMs);
    }
  }

  private flush(): void {
    while (this.buffer.length > 0 && this.connected) {
      const chunk = this.buffer.splice(0, FLUSH_CHUNK);
      this.send(chunk, chunk.length);
    }
  }

  private send(payload: SimReading | SimReading[], count: number): void {
    const counters = this.o.counters;
    counters.published += count;
    this.client!.publish(telemetryTopic(this.kind, this.id), JSON.stringify(payload), { qos: 1 }, (err) => {
      if (!err) counters.acked += count;
    });
  }
}
