import { access, mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '@cityhub/api';
import { createBroker } from '@cityhub/broker';
import type { Config } from '@cityhub/contracts';
import { findAsset, loadBoundary, loadCatalogue } from '@cityhub/contracts/catalogue';
import { openRegistry, simStatePath, startSimulation, TokenStore } from '@cityhub/devices';
import { AlertEngine, Ingest, Notifier, RuleFile } from '@cityhub/ingest';
import type { Logger } from './logger.js';
import { createMetrics } from './metrics.js';
import { startRetention } from './retention.js';
import { openStore } from './store.js';

/** Where the built dashboard is, relative to the compiled `dist/hub.js`. */
export const DASHBOARD_DIR = fileURLToPath(new URL('../dashboard/dist/', import.meta.url));

export interface RunningHub {
  httpUrl: string;
  mqttUrl: string;
  /** The other MQTT listeners (mqtts://, ws(s)://…/mqtt). */
  mqttExtra: string[];
  dataDir: string;
  /** Stops every part in reverse start order. */
  stop(): Promise<void>;
}

/**
 * `cityhub start`: broker, ingest (spool and writer), API with the dashboard, and the simulated fleet in one
 * process on the embedded store. Each part is stopped in reverse order by `stop()`.
 */
export async function startHub(config: Config, log: Logger): Promise<RunningHub> {
  const dataDir = resolve(config.CITYHUB_DATA_DIR);
  await mkdir(dataDir, { recursive: true });
  const stops: Array<[string, () => Promise<void>]> = [];
  const stop = async () => {
    for (const [name, fn] of stops.reverse()) {
      try {
        await fn();
      } catch (err) {
        log.error({ err, part: name }, 'error while stopping');
      }
    }
    stops.length = 0;
  };
  try {
    const synthetic = config.CITYHUB_SYNTHETIC_ASSETS;
    const catalogue = loadCatalogue({ synthetic });
    const registry = await openRegistry(dataDir, { syntheticAssets: synthetic });
    stops.push(['registry', () => registry.close()]);
    const tokens = await TokenStore.open(dataDir);
    const metrics = createMetrics();
    const store = await openStore(config, dataDir);
    stops.push(['store', () => store.close()]);

    const ingest = await Ingest.open({
      store, registry, dataDir, logger: log.child({ name: 'ingest' }),
      maxAgeMs: config.CITYHUB_RETENTION_RAW_DAYS * 86_400_000,
      spoolCapBytes: config.CITYHUB_SPOOL_CAP_MB * 1024 * 1024,
      writer: { onWrite: metrics.storeWrite },
    });
    ingest.start();
    stops.push(['ingest', () => ingest.close()]);
    const stopRetention = startRetention(store, config, log.child({ name: 'retention' }));
    stops.push(['retention', async () => stopRetention()]);

    // Alerts: rules evaluated on durable readings, the log in the store, notifications out.
    const rules = new RuleFile(join(dataDir, 'rules.json'));
    const alerts = await AlertEngine.open({
      store, rules: () => rules.get().rules, statePath: join(dataDir, 'alerts', 'state.json'), logger: log.child({ name: 'alerts' }),
      asset: (id) => findAsset(id, { synthetic })?.properties,
    });
    stops.push(['alerts', () => alerts.close()]);
    const notifier = new Notifier({
      notify: () => rules.get().notify, logger: log.child({ name: 'notify' }),
      ...(config.CITYHUB_SMTP_URL && { smtpUrl: config.CITYHUB_SMTP_URL }),
      ...(config.CITYHUB_ALERT_EMAIL_FROM && { from: config.CITYHUB_ALERT_EMAIL_FROM }),
    });
    stops.push(['notifications', () => notifier.close()]);
    ingest.on('points', (points) => alerts.onPoints(points));
    alerts.on('event', (ev) => notifier.send(ev));

    const broker = await createBroker({
      logger: log.child({ name: 'broker' }),
      limits: {
        maxPacketBytes: config.CITYHUB_MQTT_MAX_PACKET_BYTES, maxConnectionsPerIp: config.CITYHUB_MQTT_MAX_CONNECTIONS_PER_IP,
        publishPerSecond: config.CITYHUB_MQTT_PUBLISH_PER_SECOND, publishBurst: config.CITYHUB_MQTT_PUBLISH_BURST, keepaliveMaxS: config.CITYHUB_MQTT_KEEPALIVE_MAX_S,
      },
      hooks: {
        async authenticate(id, secret) {
          const d = registry.get(id);
          return d && (await registry.verify(id, secret)) ? { id: d.id, kind: d.kind } : null;
        },
        telemetry: async (device, topic, payload) => { await ingest.accept(device.id, topic, payload); },
        denied: (device, topic, payload, why) => ingest.denied(device?.id ?? null, topic, payload, why),
        status: (device, s) => {
          ingest.stats.status(device.id, s);
          const d = registry.get(device.id);
          if (d) alerts.onStatus(d.asset, d.kind, s);
        },
      },
    });
    let brokerClosed = false;
    stops.push(['broker', () => { brokerClosed = true; return broker.close(); }]);
    const mqttPort = await broker.listen(config.CITYHUB_MQTT_HOST, config.CITYHUB_MQTT_PORT);
    metrics.attach({ ingest, connectedDevices: () => broker.connectedDevices() });
    const mqttUrl = `mqtt://${config.CITYHUB_MQTT_HOST}:${mqttPort}`;
    const tls = config.CITYHUB_TLS_CERT && config.CITYHUB_TLS_KEY
      ? { cert: await readFile(config.CITYHUB_TLS_CERT), key: await readFile(config.CITYHUB_TLS_KEY) }
      : undefined;
    const extra: string[] = [];
    if (tls) extra.push(`mqtts://${config.CITYHUB_MQTT_HOST}:${await broker.listenTls(config.CITYHUB_MQTT_HOST, config.CITYHUB_MQTTS_PORT, tls)}`);
    if (config.CITYHUB_MQTT_WS_PORT !== undefined) {
      extra.push(`${tls ? 'wss' : 'ws'}://${config.CITYHUB_MQTT_HOST}:${await broker.listenWs(config.CITYHUB_MQTT_HOST, config.CITYHUB_MQTT_WS_PORT, tls)}/mqtt`);
    }

    const app = await buildApp({
      store, catalogue, boundary: loadBoundary(), live: ingest, dashboardDir: DASHBOARD_DIR,
      auth: tokens, publicRead: config.CITYHUB_PUBLIC_READ, registry, metrics: metrics.api,
      rateLimitPerMin: config.CITYHUB_RATE_LIMIT_PER_MIN, retentionDays: config.CITYHUB_RETENTION_RAW_DAYS,
      mqttUrl: config.CITYHUB_MQTT_PUBLIC_URL ?? mqttUrl,
      ...(config.CITYHUB_CORS_ORIGINS && { corsOrigins: config.CITYHUB_CORS_ORIGINS.trim() === '*' ? '*' as const : config.CITYHUB_CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean) }),
      ...(config.CITYHUB_TRUST_PROXY && { trustProxy: config.CITYHUB_TRUST_PROXY === 'true' ? true : config.CITYHUB_TRUST_PROXY === 'false' ? false : config.CITYHUB_TRUST_PROXY.split(',').map((a) => a.trim()) }),
      ...(config.CITYHUB_EXPORT_MAX_ROWS && { exportLimits: { maxRows: config.CITYHUB_EXPORT_MAX_ROWS } }),
      ...(config.CITYHUB_EXPORT_LICENCE && { exportLicence: { name: config.CITYHUB_EXPORT_LICENCE, url: config.CITYHUB_EXPORT_LICENCE_URL ?? '' } }),
      ...(config.CITYHUB_BASEMAP_STYLE && { basemapStyle: config.CITYHUB_BASEMAP_STYLE }),
      deviceStats: (id) => ingest.stats.peek(id),
      replay: (letters) => ingest.replay(letters),
      alerts: { events: alerts, acknowledge: (id, by) => alerts.acknowledge(id, by), deliveries: () => notifier.deliveries() },
      rules,
      readiness: () => ({
        broker: brokerClosed ? { ok: false, detail: 'stopping' } : { ok: true },
        store: { ok: ingest.writer.stats.lastError === null, ...(ingest.writer.stats.lastError && { detail: ingest.writer.stats.lastError }) },
        spool: { ok: !ingest.spool.isFull(), detail: `${ingest.spool.backlogBytes()} bytes waiting` },
      }),
    }, { logger: log.child({ name: 'api' }), ...(tls && { https: tls }) });
    stops.push(['api', () => app.close()]);
    await app.listen({ host: config.CITYHUB_HTTP_HOST, port: config.CITYHUB_HTTP_PORT });
    const addr = app.server.address();
    const httpPort = typeof addr === 'object' && addr ? addr.port : config.CITYHUB_HTTP_PORT;
    const httpUrl = `${tls ? 'https' : 'http'}://${config.CITYHUB_HTTP_HOST}:${httpPort}`;

    const count = config.CITYHUB_SIMULATE ?? catalogue.features.length;
    if (count > 0) {
      // The fleet starts in the background: provisioning it the first time takes a few seconds of scrypt.
      const simLog = log.child({ name: 'simulator' });
      // A fleet provisioned for the first time first publishes two weeks of history, so the dashboard's time
      // slider and week-on-week views have something to show on a new hub.
      const firstRun = await access(simStatePath(dataDir)).then(() => false, () => true);
      const days = firstRun ? config.CITYHUB_BACKFILL_DAYS : 0;
      const backfill = days > 0 ? { backfill: { days, stepMs: 300_000, maxAgeMs: config.CITYHUB_RETENTION_RAW_DAYS * 86_400_000 } } : {};
      if (days > 0) simLog.info({ days }, 'first start: publishing simulated history before live readings');
      const sim = startSimulation({ mqttUrl, registry, dataDir, count, synthetic, intervalMs: config.CITYHUB_SIMULATE_INTERVAL_MS, logger: simLog, ...backfill });
      sim.then((s) => simLog.info({ devices: s.stats().devices }, 'simulated fleet publishing'), (err: unknown) => simLog.error({ err }, 'simulator failed to start'));
      stops.push(['simulator', async () => { await (await sim.catch(() => null))?.stop(); }]);
    }
    return { httpUrl, mqttUrl, mqttExtra: extra, dataDir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
