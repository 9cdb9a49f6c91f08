import { readFile } from 'node:fs/promises';
import type { ApiDeps } from '@cityhub/api';
import { createBroker, type BrokerHooks, type RunningBroker } from '@cityhub/broker';
import type { Config, DeviceRegistry, Kind, SharedDocument } from '@cityhub/contracts';
import { findAsset } from '@cityhub/contracts/catalogue';
import { AlertEngine, Ingest, Notifier, RuleFile } from '@cityhub/ingest';
import type { Store } from '@cityhub/store';
import type { Logger } from './logger.js';
import type { createMetrics } from './metrics.js';
import { startRetention } from './retention.js';

/** Stop functions run in reverse order of their start; an error in one is logged and the rest still run. */
export class Stops {
  private readonly list: Array<[string, () => Promise<void>]> = [];
  constructor(private readonly log: Logger) {}
  push(name: string, fn: () => Promise<void> | void): void {
    this.list.push([name, async () => { await fn(); }]);
  }
  async run(): Promise<void> {
    for (const [name, fn] of this.list.reverse()) {
      try {
        await fn();
      } catch (err) {
        this.log.error({ err, part: name }, 'error while stopping');
      }
    }
    this.list.length = 0;
  }
}

/**
 * Opens the spool and writer on `store`, and (unless `retention` is false) the retention job; each is
 * registered in `stops`.
 */
export async function openIngest(o: {
  config: Config; dataDir: string; store: Store; registry: DeviceRegistry; log: Logger; stops: Stops;
  metrics: ReturnType<typeof createMetrics>; retention?: boolean;
}): Promise<Ingest> {
  const { config, dataDir, store, registry, log, stops } = o;
  const ingest = await Ingest.open({
    store, registry, dataDir, logger: log.child({ name: 'ingest' }),
    maxAgeMs: config.CITYHUB_RETENTION_RAW_DAYS * 86_400_000,
    spoolCapBytes: config.CITYHUB_SPOOL_CAP_MB * 1024 * 1024,
    writer: { onWrite: o.metrics.storeWrite },
  });
  ingest.start();
  stops.push('ingest', () => ingest.close());
  if (o.retention !== false) stops.push('retention', startRetention(store, config, log.child({ name: 'retention' })));
  return ingest;
}

/** The alert engine and the notifications of its events. */
export interface Alerting { alerts: AlertEngine; notifier: Notifier; close(): Promise<void> }

/**
 * Opens the alert engine (its state in `stateDoc`: how long each condition has held, which alerts are open)
 * and the notifier its events go to. The caller feeds it readings and device status, and closes it.
 */
export async function openAlerting(o: { config: Config; store: Store; rules: RuleFile; stateDoc: SharedDocument; log: Logger }): Promise<Alerting> {
  const { config, store, rules, log } = o;
  const synthetic = config.CITYHUB_SYNTHETIC_ASSETS;
  const alerts = await AlertEngine.open({
    store, rules: () => rules.get().rules, stateDoc: o.stateDoc, logger: log.child({ name: 'alerts' }),
    asset: (id) => findAsset(id, { synthetic })?.properties,
  });
  const notifier = new Notifier({
    notify: () => rules.get().notify, logger: log.child({ name: 'notify' }),
    ...(config.CITYHUB_SMTP_URL && { smtpUrl: config.CITYHUB_SMTP_URL }),
    ...(config.CITYHUB_ALERT_EMAIL_FROM && { from: config.CITYHUB_ALERT_EMAIL_FROM }),
  });
  alerts.on('event', (ev) => notifier.send(ev));
  return {
    alerts, notifier,
    async close() {
      await alerts.close();
      await notifier.close();
    },
  };
}

/**
 * The broker hooks that bind devices to the registry and their readings to ingest; `onStatus` hears each
 * device's status by its asset (for the alert engine).
 */
export function deviceHooks(registry: DeviceRegistry, ingest: Ingest, onStatus?: (asset: string, kind: Kind, s: 'online' | 'offline') => void): BrokerHooks {
  return {
    async authenticate(id, secret) {
      // verify first: on a shared registry it fetches a device that another node has just added.
      if (!(await registry.verify(id, secret))) return null;
      const d = registry.get(id);
      return d ? { id: d.id, kind: d.kind } : null;
    },
    telemetry: async (device, topic, payload) => { await ingest.accept(device.id, topic, payload); },
    denied: (device, topic, payload, why) => ingest.denied(device?.id ?? null, topic, payload, why),
    status: (device, s) => {
      ingest.stats.status(device.id, s);
      const d = registry.get(device.id);
      if (d) onStatus?.(d.asset, d.kind, s);
    },
  };
}

/** A running broker and the addresses it listens on. */
export interface ListeningBroker { broker: RunningBroker; mqttUrl: string; extra: string[]; tls: { cert: Buffer; key: Buffer } | undefined }

/** Creates the broker with the configured limits and opens its listeners (MQTT, and mqtts / WebSocket when configured). */
export async function listenBroker(config: Config, log: Logger, hooks: BrokerHooks, stops: Stops, aedes?: Parameters<typeof createBroker>[0]['aedes']): Promise<ListeningBroker & { closed: () => boolean }> {
  const broker = await createBroker({
    logger: log.child({ name: 'broker' }),
    limits: {
      maxPacketBytes: config.CITYHUB_MQTT_MAX_PACKET_BYTES, maxConnectionsPerIp: config.CITYHUB_MQTT_MAX_CONNECTIONS_PER_IP,
      publishPerSecond: config.CITYHUB_MQTT_PUBLISH_PER_SECOND, publishBurst: config.CITYHUB_MQTT_PUBLISH_BURST, keepaliveMaxS: config.CITYHUB_MQTT_KEEPALIVE_MAX_S,
    },
    hooks,
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

/** The TLS certificate and key, when both are configured. */
export async function readTls(config: Config): Promise<{ cert: Buffer; key: Buffer } | undefined> {
  return config.CITYHUB_TLS_CERT && config.CITYHUB_TLS_KEY
    ? { cert: await readFile(config.CITYHUB_TLS_CERT), key: await readFile(config.CITYHUB_TLS_KEY) }
    : undefined;
}

/** The API options every node that serves the API takes from the configuration. */
export function apiConfig(config: Config): Partial<ApiDeps> {
  return {
    publicRead: config.CITYHUB_PUBLIC_READ,
    rateLimitPerMin: config.CITYHUB_RATE_LIMIT_PER_MIN, retentionDays: config.CITYHUB_RETENTION_RAW_DAYS,
    ...(config.CITYHUB_CORS_ORIGINS && { corsOrigins: config.CITYHUB_CORS_ORIGINS.trim() === '*' ? '*' as const : config.CITYHUB_CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean) }),
    ...(config.CITYHUB_TRUST_PROXY && { trustProxy: config.CITYHUB_TRUST_PROXY === 'true' ? true : config.CITYHUB_TRUST_PROXY === 'false' ? false : config.CITYHUB_TRUST_PROXY.split(',').map((a) => a.trim()) }),
    ...(config.CITYHUB_EXPORT_MAX_ROWS && { exportLimits: { maxRows: config.CITYHUB_EXPORT_MAX_ROWS } }),
    ...(config.CITYHUB_EXPORT_LICENCE && { exportLicence: { name: config.CITYHUB_EXPORT_LICENCE, url: config.CITYHUB_EXPORT_LICENCE_URL ?? '' } }),
    ...(config.CITYHUB_BASEMAP_STYLE && { basemapStyle: config.CITYHUB_BASEMAP_STYLE }),
    catalog: {
      publisher: config.CITYHUB_CATALOG_PUBLISHER, contactName: config.CITYHUB_CATALOG_CONTACT_NAME,
      ...(config.CITYHUB_CATALOG_PUBLISHER_URL && { publisherUrl: config.CITYHUB_CATALOG_PUBLISHER_URL }),
      ...(config.CITYHUB_CATALOG_CONTACT_EMAIL && { contactEmail: config.CITYHUB_CATALOG_CONTACT_EMAIL }),
      ...(config.CITYHUB_PUBLIC_URL && { publicUrl: config.CITYHUB_PUBLIC_URL }),
    },
  };
}

/** The port a listening fastify app is bound to. */
export function boundPort(server: { address(): unknown }, fallback: number): number {
  const addr = server.address();
  return typeof addr === 'object' && addr && 'port' in addr && typeof addr.port === 'number' ? addr.port : fallback;
}

/** Readiness of a node's ingest: the store takes writes, the spool has room. */
export function ingestReadiness(ingest: Ingest): Record<'store' | 'spool', { ok: boolean; detail?: string }> {
  const lastError = ingest.writer.stats.lastError;
  return {
    store: { ok: lastError === null, ...(lastError && { detail: lastError }) },
    spool: { ok: !ingest.spool.isFull(), detail: `${ingest.spool.backlogBytes()} bytes waiting` },
  };
}
