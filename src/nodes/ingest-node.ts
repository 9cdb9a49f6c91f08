import mqtt, { type MqttClient } from 'mqtt';
import { parseDeviceStatus, parseTopic, STATUS_FILTER, TELEMETRY_FILTER, type Config } from '@cityhub/contracts';
import type { Ingest } from '@cityhub/ingest';
import type { Logger } from '../ops/logger.js';
import { openIngest } from '../wiring/ingest.js';
import { openNodeState } from '../wiring/node-state.js';

export interface RunningIngestNode { connections: number; stop(): Promise<void> }

/**
 * `cityhub ingest`: takes readings from any MQTT broker (which authenticates devices and holds them to
 * their topics) on a QoS 1 persistent session, and acknowledges each message to that broker only once it
 * is in the spool: mqtt.js sends the PUBACK when `handleMessage` calls back. A connection handles one
 * message at a time, so several connections on a shared subscription (`$share/<client id>/…`, which
 * mosquitto, EMQX and HiveMQ support and aedes does not) let the spool's group commit share fsyncs.
 */
export async function startIngestNode(config: Config, log: Logger): Promise<RunningIngestNode> {
  // With CITYHUB_REDIS_URL the registry is the one the broker nodes and the CLI share.
  const { dataDir, stops, registry, store, metrics } = await openNodeState(config, log, 'ingest');
  try {
    const ingest = await openIngest({ config, dataDir, store, registry, log, stops, metrics });
    const url = config.CITYHUB_INGEST_MQTT_URL ?? `mqtt://${config.CITYHUB_MQTT_HOST}:${config.CITYHUB_MQTT_PORT}`;
    const n = config.CITYHUB_INGEST_CONNECTIONS;
    const connections = Array.from({ length: n }, (_, i) => connectIngest(config, url, i, ingest, log));
    const clients = connections.map((c) => c.client);
    stops.push('mqtt', async () => { await Promise.all(clients.map((c) => c.endAsync())); });
    // Readings published before a subscription exists are not kept by any broker: report ready only once
    // every connection holds its subscription (or after 15 s, still retrying, with the log saying why).
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000).unref());
    if ((await Promise.race([Promise.all(connections.map((c) => c.subscribed)), timeout])) === 'timeout') log.warn({ url }, 'not yet subscribed on every connection; retrying');
    log.info({ url, connections: n }, 'ingest node started');
    return { connections: n, stop: () => stops.run() };
  } catch (err) {
    await stops.run();
    throw err;
  }
}

/** Connection `i` of the ingest node: resolves `subscribed` once the broker granted its subscriptions. */
function connectIngest(config: Config, url: string, i: number, ingest: Ingest, log: Logger): { client: MqttClient; subscribed: Promise<void> } {
  const n = config.CITYHUB_INGEST_CONNECTIONS;
  const shared = (filter: string) => (n > 1 ? `$share/${config.CITYHUB_INGEST_CLIENT_ID}/${filter}` : filter);
  const clientId = n > 1 ? `${config.CITYHUB_INGEST_CLIENT_ID}-${i}` : config.CITYHUB_INGEST_CLIENT_ID;
  const client = mqtt.connect(url, {
    clientId, clean: false, protocolVersion: 4, reconnectPeriod: 1_000,
    ...(config.CITYHUB_INGEST_MQTT_USERNAME && { username: config.CITYHUB_INGEST_MQTT_USERNAME }),
    ...(config.CITYHUB_INGEST_MQTT_PASSWORD && { password: config.CITYHUB_INGEST_MQTT_PASSWORD }),
  });
  // The PUBACK (and the next message) wait for this callback: it is called once the reading is durable.
  client.handleMessage = (packet, callback) => {
    const topic = packet.topic;
    const t = parseTopic(topic);
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    if (t?.channel === 'status') {
      const s = parseDeviceStatus(payload);
      if (s) ingest.stats.status(t.deviceId, s);
      return callback();
    }
    const done = t ? ingest.accept(t.deviceId, topic, payload) : ingest.denied(null, topic, payload, 'not a device telemetry topic');
    done.then(() => callback(), (err: Error) => {
      // Not durable: no PUBACK; the broker re-delivers on the next connection of this session.
      log.error({ err: err.message, topic }, 'reading not spooled; closing the connection so the broker re-delivers it');
      client.stream.destroy();
      callback(err);
    });
  };
  let first: () => void = () => undefined;
  const subscribed = new Promise<void>((r) => { first = r; });
  client.on('connect', (ack) => {
    log.info({ url, clientId, sessionPresent: ack.sessionPresent }, 'ingest connected');
    client.subscribe([shared(TELEMETRY_FILTER), shared(STATUS_FILTER)], { qos: 1 }, (err, granted) => {
      if (err || granted?.some((g) => g.qos === 128)) log.error({ err: err?.message, granted }, 'the broker refused the ingest subscriptions');
      else first();
    });
  });
  client.on('error', (err) => log.warn({ err: err.message, clientId }, 'ingest connection error'));
  return { client, subscribed };
}
