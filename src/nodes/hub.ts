import { access } from 'node:fs/promises';
import { acknowledge, openAlertState, openAlerting, publishAlert } from '@cityhub/alerts';
import { startNgsiPush } from '@cityhub/api';
import type { Config } from '@cityhub/contracts';
import { loadCatalogue } from '@cityhub/contracts/catalogue';
import type { FileRegistry } from '@cityhub/devices';
import { simStatePath, startSimulation } from '@cityhub/simulator';
import { relayLive } from '../live/relay.js';
import type { Logger } from '../ops/logger.js';
import { Naps } from '../ops/naps.js';
import { serveApi } from '../wiring/api.js';
import { brokerBus, deviceHooks, endRevokedSessions, listenBroker } from '../wiring/broker.js';
import { ingestReadiness, openIngest } from '../wiring/ingest.js';
import { openNodeState } from '../wiring/node-state.js';
import { loginStorm, ownThreadOf, reopensOf } from '../wiring/store.js';
import { serviceHook } from '../wiring/service.js';
import type { Stops } from '../wiring/stops.js';

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
  const state = await openNodeState(config, log, 'start');
  const { dataDir, stops, registry, tokens, rules, store, metrics } = state;
  const stop = () => stops.run();
  try {
    // A trickle's lone readings wait by sleeping the thread while no HTTP client waits on it (see Naps).
    const naps = config.CITYHUB_SPOOL_NAP ? new Naps() : undefined;
    // A fleet logging in (a restarted hub's devices coming back) does not move the store off this thread.
    const logins = loginStorm();
    const ingest = await openIngest({ config, dataDir, store, registry, log, stops, metrics, holdMove: logins.storm, ...(naps && { nap: naps.nap }) });
    // Alerts are evaluated on readings as they become durable.
    const stateDoc = await openAlertState({ dataDir }, state.part('alert-state'));
    stops.push('alert state', () => stateDoc.close());
    const alerting = await openAlerting({ config, store, rules, stateDoc, log: state.part });
    stops.push('alerts', () => alerting.close());
    const { alerts, notifier } = alerting;
    ingest.on('points', (points) => alerts.onPoints(points));
    const hooks = deviceHooks(registry, ingest, (asset, kind, s) => alerts.onStatus(asset, kind, s));
    const { broker, mqttUrl, extra, closed } = await listenBroker(config, log, { ...hooks, service: serviceHook(config, tokens) }, stops);
    endRevokedSessions(broker, registry, tokens, stops);
    // Connections (a fleet coming up, a reconnect storm) need the thread: no sleep for a second after each.
    if (naps) broker.aedes.on('connackSent', () => naps.busy());
    broker.aedes.on('clientReady', () => logins.login());
    relayLive(broker, ingest, stops, { always: false });
    const bus = brokerBus(broker);
    alerts.on('event', (ev) => publishAlert(bus, ev));
    metrics.attach({ ingest, broker, storeReopens: reopensOf(store), storeOwnThread: ownThreadOf(store), spoolCapBytes: config.CITYHUB_SPOOL_CAP_MB * 1024 * 1024, deliveries: () => notifier.deliveries() });

    const httpUrl = await serveApi(config, log, state, naps, {
      live: ingest,
      mqttUrl: config.CITYHUB_MQTT_PUBLIC_URL ?? mqttUrl,
      deviceStats: (id) => ingest.stats.peek(id),
      replay: (letters) => ingest.replay(letters),
      // An open alert through the engine (it knows it is acknowledged), a cleared one from the alert log.
      alerts: { events: alerts, acknowledge: async (id, by, c) => (await alerts.acknowledge(id, by, c)) ?? acknowledge(store, id, by, c), deliveries: () => notifier.deliveries() },
      readiness: () => ({
        broker: closed() ? { ok: false, detail: 'stopping' } : { ok: true },
        ...ingestReadiness(ingest),
      }),
    });
    const catalogue = loadCatalogue({ synthetic: config.CITYHUB_SYNTHETIC_ASSETS });
    const ngsiPush = startNgsiPush(config, { store, catalogue, live: ingest, settled: () => ingest.writer.drained(), logger: log.child({ name: 'ngsi-push' }), hubUrl: config.CITYHUB_PUBLIC_URL ?? httpUrl });
    if (ngsiPush) stops.push('NGSI-LD push', () => ngsiPush.close());
    await startFleet(config, log, { mqttUrl, registry, dataDir, stops });
    return { httpUrl, mqttUrl, mqttExtra: extra, dataDir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * The simulated fleet (CITYHUB_SIMULATE devices, by default one per catalogue asset), started in the
 * background: provisioning it the first time takes a few seconds of scrypt.
 */
async function startFleet(config: Config, log: Logger, o: { mqttUrl: string; registry: FileRegistry; dataDir: string; stops: Stops }): Promise<void> {
  const synthetic = config.CITYHUB_SYNTHETIC_ASSETS;
  const count = config.CITYHUB_SIMULATE ?? loadCatalogue({ synthetic }).features.length;
  if (count <= 0) return;
  const simLog = log.child({ name: 'simulator' });
  // A fleet provisioned for the first time first publishes two weeks of history, so the dashboard's time
  // slider and week-on-week views have something to show on a new hub.
  const firstRun = await access(simStatePath(o.dataDir)).then(() => false, () => true);
  const days = firstRun ? config.CITYHUB_BACKFILL_DAYS : 0;
  const backfill = days > 0 ? { backfill: { days, stepMs: 300_000, maxAgeMs: config.CITYHUB_RETENTION_RAW_DAYS * 86_400_000 } } : {};
  if (days > 0) simLog.info({ days }, 'first start: publishing simulated history before live readings');
  const sim = startSimulation({ mqttUrl: o.mqttUrl, registry: o.registry, dataDir: o.dataDir, count, synthetic, intervalMs: config.CITYHUB_SIMULATE_INTERVAL_MS, logger: simLog, models: { zone: config.CITYHUB_TZ }, ...backfill });
  sim.then((s) => simLog.info({ devices: s.stats().devices }, 'simulated fleet publishing'), (err: unknown) => simLog.error({ err }, 'simulator failed to start'));
  o.stops.push('simulator', async () => { await (await sim.catch(() => null))?.stop(); });
}
