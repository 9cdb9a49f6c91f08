import { STATUS_OFFLINE, STATUS_ONLINE, statusTopic, telemetryTopic, type AssetFeature, type Kind, type Logger } from '@cityhub/contracts';
import type { MqttClient } from 'mqtt';
import type { FleetModels } from './fleet-models.js';
import { makeReading, type SimReading } from './make-reading.js';
import { seedOf } from './models/noise.js';
import type { Outage } from './outages.js';
import type { SimDeviceState } from './sim-state.js';
import { connectDevice } from './transport.js';

/** Counters shared by the fleet (readings, not messages). */
export interface FleetCounters { published: number; acked: number; dropped: number }

/** Options of one simulated device. */
export interface SimDeviceOptions {
  id: string;
  asset: AssetFeature;
  state: SimDeviceState;
  mqttUrl: string;
  counters: FleetCounters;
  logger: Logger;
  /** Readings kept while disconnected; the oldest go first beyond this. */
  bufferLimit: number;
  /** The fleet's shared models (incidents, events). */
  models?: FleetModels;
  /** When the device is cut off from the network (simulated outages); none if absent. */
  outages?: (deviceSeed: number, t: number) => Outage | null;
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
  private readonly seed: number;
  /** The outage the device is in, if it is cut off now. */
  private outage: Outage | null = null;
  private connectStarted = 0;
  private settle: (() => void) | undefined;
  /** How long the first connection took (ms), once it is up. */
  firstConnectMs: number | undefined;
  /** Outages the device went through. */
  outages = 0;

  constructor(private readonly o: SimDeviceOptions) {
    this.id = o.id;
    this.kind = o.state.kind;
    this.seed = seedOf(o.id);
  }

  /** True while a simulated network outage cuts the device off. */
  get offline(): boolean {
    return this.outage !== null;
  }

  /** True while the MQTT connection is up. */
  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** Readings waiting for a connection. */
  get buffered(): number {
    return this.buffer.length;
  }

  /**
   * Starts connecting; mqtt.js reconnects by itself from then on. `settled` is called once, when the first
   * attempt connected or failed (the fleet uses it to ramp connections up).
   */
  connect(settled?: () => void): void {
    if (this.stopping) {
      settled?.();
      return;
    }
    const { id, state, mqttUrl } = this.o;
    this.connectStarted = performance.now();
    this.settle = settled;
    const client = connectDevice(mqttUrl, {
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
    }, () => this.outage !== null);
    client.on('connect', () => {
      this.firstConnectMs ??= performance.now() - this.connectStarted;
      this.settled();
      client.options.reconnectPeriod = this.baseReconnectMs;
      if (this.lastError) this.o.logger.info({ device: id }, 'simulated device connected again');
      this.lastError = '';
      client.publish(statusTopic(this.kind, id), STATUS_ONLINE, { qos: 1, retain: true }, () => undefined);
      this.flush();
    });
    client.on('close', () => this.settled());
    client.on('error', (err: Error & { code?: number }) => {
      this.settled();
      // CONNACK 4 (bad user name or password) and 5 (not authorised): back off.
      if (err.code === 4 || err.code === 5) {
        client.options.reconnectPeriod = Math.min(MAX_BACKOFF_MS, (client.options.reconnectPeriod ?? 1_000) * 2);
      }
      if (err.message !== this.lastError) this.o.logger.warn({ device: id, err: err.message }, 'simulated device MQTT error');
      this.lastError = err.message;
    });
    this.client = client;
  }

  /** Resolves true when the device is connected (at once if it is), false after `timeoutMs` without. */
  waitConnected(timeoutMs: number): Promise<boolean> {
    const client = this.client;
    if (!client || this.stopping) return Promise.resolve(false);
    if (client.connected) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        client.off('connect', onConnect);
        resolve(ok);
      };
      const onConnect = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      client.on('connect', onConnect);
    });
  }

  /**
   * Publishes readings made elsewhere (a backfill) as one array at QoS 1; resolves on the PUBACK. The
   * caller bounds how many are in flight.
   */
  async publishBatch(readings: SimReading[]): Promise<void> {
    const client = this.client;
    if (!client) throw new Error(`device ${this.id} is not connected`);
    await client.publishAsync(telemetryTopic(this.kind, this.id), JSON.stringify(readings), { qos: 1 });
  }

  /**
   * Takes one reading at instant `t`: publishes it, or buffers it while disconnected. Starts or ends a
   * simulated outage when `t` enters or leaves one.
   */
  tick(t: number): void {
    if (this.stopping) return;
    this.followOutages(t);
    const reading = makeReading(this.o.asset, this.o.state, t, this.o.models);
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

  private settled(): void {
    const s = this.settle;
    this.settle = undefined;
    s?.();
  }

  /**
   * A network outage drops the connection without a DISCONNECT, so the broker publishes the device's last
   * will (`offline`), and fails every reconnection attempt while it lasts (see connectDevice). Once it is
   * over, mqtt.js's next attempt gets through: the device resends what was in flight and flushes what it
   * buffered as arrays.
   */
  private followOutages(t: number): void {
    const client = this.client;
    if (!client || !this.o.outages) return;
    const outage = this.o.outages(this.seed, t);
    if (outage && !this.outage) {
      this.outage = outage;
      this.outages++;
      client.stream?.destroy();
    } else if (!outage && this.outage) {
      this.outage = null;
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
