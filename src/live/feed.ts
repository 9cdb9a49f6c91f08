import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { ALERT_TOPIC, AlertEvent, LIVE_TOPIC_PREFIX, NODE_USERNAME, parseDeviceStatus, parseTopic, RelayedReadings, SERVICE_CLIENT_ID_PREFIX, STATUS_FILTER, type Config } from '@cityhub/contracts';
import { DeviceStatsBook } from '@cityhub/ingest';
import type { Point } from '@cityhub/store';
import type { Logger } from '../ops/logger.js';

/** An api node's live feed: see {@link liveFeed}. */
export interface LiveFeed {
  points: EventEmitter<{ points: [Point[]] }>;
  alerts: EventEmitter<{ event: [AlertEvent] }>;
  /** Devices as this node hears of them: readings from the feed, status from the retained status topics. */
  devices: DeviceStatsBook;
  connected(): boolean;
  problem(): string;
  close(): Promise<void>;
}

/**
 * The validated readings and alert events the broker nodes publish, taken over MQTT. Without a node
 * secret there is no feed: `/api/v1/live` then carries nothing, and readiness says why.
 */
export function liveFeed(config: Config, url: string, log: Logger): LiveFeed {
  const points = new EventEmitter<{ points: [Point[]] }>();
  const alerts = new EventEmitter<{ event: [AlertEvent] }>();
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
    username: NODE_USERNAME, password: secret, clientId: `${SERVICE_CLIENT_ID_PREFIX}api-${randomBytes(6).toString('hex')}`,
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
      const s = parseDeviceStatus(payload);
      if (s) devices.status(status.deviceId, s);
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
