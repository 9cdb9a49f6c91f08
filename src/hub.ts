import { access, mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp, startNgsiPush } from '@cityhub/api';
import type { Config } from '@cityhub/contracts';
import { loadBoundary, loadCatalogue } from '@cityhub/contracts/catalogue';
import { openRegistry, openSharedDocument, simStatePath, startSimulation, TokenStore } from '@cityhub/devices';
import type { Logger } from './logger.js';
import { createMetrics } from './metrics.js';
import { apiConfig, boundPort, deviceHooks, ingestReadiness, listenBroker, openAlerting, openIngest, Stops } from './parts.js';
import { relayAlert, relayLive } from './relay.js';
import { openRules } from './rules.js';
import { serviceHook } from './service.js';
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
  const stops = new Stops(log);
  const stop = () => stops.run();
  try {
    const synthetic = config.CITYHUB_SYNTHETIC_ASSETS;
    const catalogue = loadCatalogue({ synthetic });
    const registry = await openRegistry(dataDir, { syntheticAssets: synthetic, logger: log.child({ name: 'registry' }) });
    stops.push('registry', () => registry.close());
    const tokens = await TokenStore.open(dataDir);
    stops.push('tokens', () => tokens.close());
    const metrics = createMetrics();
    const store = await openStore(config, dataDir);
    stops.push('store', () => store.close());

    const rules = await openRules({ dataDir }, log);
    stops.push('rules', () => rules.close());
    const ingest = await openIngest({ config, dataDir, store, registry, log, stops, metrics });
    // Alerts are evaluated on readings as they become durable.
    const stateDoc = await openSharedDocument('alerts', { dataDir });
    stops.push('alert state', () => stateDoc.close());
    const alerting = await openAlerting({ config, store, rules: rules.file, stateDoc, log });
    stops.push('alerts', () => alerting.close());
    const { alerts, notifier } = alerting;
    ingest.on('points', (points) => alerts.onPoints(points));
    const hooks = deviceHooks(registry, ingest, (asset, kind, s) => alerts.onStatus(asset, kind, s));
    const { broker, mqttUrl, extra, tls, closed } = await listenBroker(config, log, { ...hooks, service: serviceHook(config, tokens) }, stops);
    relayLive(broker, ingest, stops, { always: false });
    alerts.on('event', (ev) => relayAlert(broker, ev));
    metrics.attach({ ingest, connectedDevices: () => broker.connectedDevices(), spoolCapBytes: config.CITYHUB_SPOOL_CAP_MB * 1024 * 1024, deliveries: () => notifier.deliveries() });

    const app = await buildApp({
      ...apiConfig(config),
      store, catalogue, boundary: loadBoundary(), live: ingest, dashboardDir: DASHBOARD_DIR,
      auth: tokens, registry, metrics: metrics.api,
      mqttUrl: config.CITYHUB_MQTT_PUBLIC_URL ?? mqttUrl,
      deviceStats: (id) => ingest.stats.peek(id),
      replay: (letters) => ingest.replay(letters),
      alerts: { events: alerts, acknowledge: (id, by) => alerts.acknowledge(id, by), deliveries: () => notifier.deliveries() },
      rules: rules.file,
      readiness: () => ({
        broker: closed() ? { ok: false, detail: 'stopping' } : { ok: true },
        ...ingestReadiness(ingest),
      }),
    }, { logger: log.child({ name: 'api' }), ...(tls && { https: tls }) });
    stops.push('api', () => app.close());
    await app.listen({ host: config.CITYHUB_HTTP_HOST, port: config.CITYHUB_HTTP_PORT });
    const httpUrl = `${tls ? 'https' : 'http'}://${config.CITYHUB_HTTP_HOST}:${boundPort(app.server, config.CITYHUB_HTTP_PORT)}`;
    const ngsiPush = startNgsiPush(config, { store, catalogue, live: ingest, settled: () => ingest.writer.drained(), logger: log.child({ name: 'ngsi-push' }), hubUrl: config.CITYHUB_PUBLIC_URL ?? httpUrl });
    if (ngsiPush) stops.push('NGSI-LD push', () => ngsiPush.close());

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
      stops.push('simulator', async () => { await (await sim.catch(() => null))?.stop(); });
    }
    return { httpUrl, mqttUrl, mqttExtra: extra, dataDir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
