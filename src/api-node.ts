import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { buildApp } from '@cityhub/api';
import { DeviceStatsBook } from '@cityhub/ingest';
import { ALERT_TOPIC, AlertEvent, LIVE_TOPIC_PREFIX, NODE_USERNAME, parseTopic, RelayedReadings, STATUS_FILTER, type Config } from '@cityhub/contracts';
import { loadBoundary, loadCatalogue } from '@cityhub/contracts/catalogue';
import type { Point, Store } from '@cityhub/store';
import { DASHBOARD_DIR } from './hub.js';
import type { Logger } from './logger.js';
import { openNodeState } from './node-state.js';
import { apiConfig, boundPort, ingestReadiness, openIngest, readTls } from './parts.js';

export interface RunningApiNode { httpUrl: string; stop(): Promise<void> }


/**
 * `cityhub api`: the HTTP API and the dashboard, with no broker of its own, so any number can run behind a
 * load balancer (its only disk state is the spool of dead letters being replayed). It reads the shared store (InfluxDB), the registry, tokens and rules where
 * every node sees them (Redis with `CITYHUB_REDIS_URL`), and takes its live feed from the broker nodes over
 * MQTT as the `cityhub-node` service (`CITYHUB_BROKER_URL`, `CITYHUB_NODE_SECRET`).
 */
export async function startApiNode(config: Config, log: Logger): Promise<RunningApiNode> {
  const { dataDir, stops, registry, tokens, rules, store, metrics } = await openNodeState(config, log, 'api');
  try {
    const synthetic = config.CITYHUB_SYNTHETIC_ASSETS;
    // Dead letters replayed through this node are spooled here and written by its own writer, as a broker
    // node's readings are: the replay's answer means they are durable.
    // Retention is the broker nodes' job: this ingest only takes replays.
    const replays = await openIngest({ config, dataDir, store, registry, log: log.child({ name: 'replay' }), stops, metrics, retention: false });
    metrics.attach({ ingest: replays, connectedDevices: () => 0 });
    const brokerUrl = config.CITYHUB_BROKER_URL ?? `mqtt://${config.CITYHUB_MQTT_HOST}:${config.CITYHUB_MQTT_PORT}`;
    const feed = liveFeed(config, brokerUrl, log.child({ name: 'live-feed' }));
    stops.push('live feed', () => feed.close());

    const tls = await readTls(config);
    const app = await buildApp({
      ...apiConfig(config),
      store, catalogue: loadCatalogue({ synthetic }), boundary: loadBoundary(), live: feed.points, dashboardDir: DASHBOARD_DIR,
      auth: tokens, registry, metrics: metrics.api,
      mqttUrl: config.CITYHUB_MQTT_PUBLIC_URL ?? brokerUrl,
      alerts: { events: feed.alerts, acknowledge: (id, by) => acknowledge(store, id, by), deliveries: () => [] },
      rules,
      replay: (letters) => replays.replay(letters),
      deviceStats: (id) => feed.devices.peek(id),
      readiness: () => ({
        live: feed.connected() ? { ok: true } : { ok: false, detail: feed.problem() },
        ...ingestReadiness(replays),
      }),
    }, { logger: log.child({ name: 'api' }), ...(tls && { https: tls }) });
    stops.push('api', () => app.close());
    await app.listen({ host: config.CITYHUB_HTTP_HOST, port: config.CITYHUB_HTTP_PORT });
    const httpUrl = `${tls ? 'https' : 'http'}://${config.CITYHUB_HTTP_HOST}:${boundPort(app.server, config.CITYHUB_HTTP_PORT)}`;
    return { httpUrl, stop: () => stops.run() };
  } catch (err) {
    await stops.run();
    throw err;
  }
}

/**
 * The validated readings and alert events the broker nodes publish, taken over MQTT. Without a node
 * secret there is no feed: `/api/v1/live` then carries nothing, and readiness says why.
 */
function liveFeed(config: Config, url: string, log: Logger) {
  const points = new EventEmitter<{ points: [Point[]] }>();
  const alerts = new EventEmitter<{ event: [AlertEvent] }>();
  // Devices as this node hears of them: readings from the feed, status from the retained status topics.
  const devices = new DeviceStatsBook();
  points.on('points', (ps) => {
    const now = Date.now();
    for (const p of ps) devices.reading(p.device, p.seq, p.ts, now);
  });
  const secret = config.CITYHUB_NODE_SECRET;
  if (!secret) {
    log.warn('CITYHUB_NODE_SECRET is not set: this api node has no live feed (/api/v1/live stays quiet)');
    return { points, alerts, devices, connected: () => false, problem: () => 'no CITYHUB_NODE_SECRET: no live feed', close: async () => undefined };
  }
  let lastError = 'connecting';
  const client = mqtt.connect(url, {
    username: NODE_USERNAME, password: secret, clientId: `cityhub-api-${randomBytes(6).toString('hex')}`,
    clean: true, protocolVersion: 4, reconnectPeriod: 1_000, connectTimeout: 10_000,
  });
  client.on('connect', () => {
    client.subscribe([`${LIVE_TOPIC_PREFIX}+`, ALERT_TOPIC, STATUS_FILTER], { qos: 0 }, (err, granted) => {
      if (err || granted?.some((g) => g.qos === 128)) {
        lastError = `subscription refused${err ? `: ${err.message}` : ''}`;
        log.error({ url }, lastError);
      } else {
        log.info({ url }, 'live feed subscribed');
      }
    });
  });
  client.on('error', (err) => {
    lastError = err.message;
    log.warn({ url, err: err.message }, 'live feed connection error');
  });
  client.on('message', (topic, payload) => {
    const status = parseTopic(topic);
    if (status?.channel === 'status') {
      const s = payload.toString('utf8');
      if (s === 'online' || s === 'offline') devices.status(status.deviceId, s);
      return;
    }
    try {
      const body: unknown = JSON.parse(payload.toString('utf8'));
      if (topic === ALERT_TOPIC) alerts.emit('event', AlertEvent.parse(body));
      else points.emit('points', RelayedReadings.parse(body));
    } catch (err) {
      log.warn({ topic, err: (err as Error).message }, 'live feed message ignored');
    }
  });
  return {
    points, alerts, devices,
    connected: () => client.connected,
    problem: () => `not connected to ${url}: ${lastError}`,
    close: () => client.endAsync(true).then(() => undefined),
  };
}

/**
 * Acknowledges an alert from the shared alert log: the acknowledgement is an event in the store like the
 * engine's own, so every api node answers with it.
 */
async function acknowledge(store: Store, alert: string, by: string): Promise<AlertEvent | null> {
  const events = await store.listAlertEvents({ alert, limit: 100 });
  const opened = events.find((e) => e.state === 'opened');
  if (!opened || events.some((e) => e.state === 'cleared')) return null;
  const at = Date.now();
  const ev: AlertEvent = {
    id: `${alert}:acknowledged:${at}`, alert, rule: opened.rule, kind: opened.kind, asset: opened.asset, severity: opened.severity,
    state: 'acknowledged', at, value: null, message: `acknowledged by ${by}`, by,
  };
  await store.writeAlertEvents([ev]);
  return ev;
}
