import { silentLogger, type Logger } from '@cityhub/contracts';
import type { FileRegistry } from '@cityhub/devices';
import { runBackfill, type BackfillOptions, type BackfillReport } from './backfill.js';
import { createFleetModels, retrofitDaysAgoFor, type FleetModelOptions } from './fleet-models.js';
import { createOutages, type OutageOptions } from './outages.js';
import { provisionFleet } from './provision.js';
import { selectAssets } from './select-assets.js';
import { SimDevice, type FleetCounters } from './sim-device.js';
import { loadSimState, saveSimState, type SimState } from './sim-state.js';
import { startWheel, type Wheel } from './wheel.js';

/** Options of {@link startSimulation}. */
export interface SimulationOptions {
  /** The broker, e.g. `mqtt://127.0.0.1:1883`. */
  mqttUrl: string;
  /** Where the simulated devices are provisioned. */
  registry: FileRegistry;
  /** The hub's data directory: the simulator keeps its devices' credentials and counters in `simulator/`. */
  dataDir: string;
  /** How many devices (default: one per catalogue asset; capped at the number of assets, synthetic ones included). */
  count?: number;
  /**
   * Synthetic assets in the catalogue (default 0), for fleets larger than the 212 real assets. The registry
   * must be opened with the same `syntheticAssets`, and the hub must know them (CITYHUB_SYNTHETIC_ASSETS).
   */
  synthetic?: number;
  /** How often each device publishes (ms). */
  intervalMs: number;
  /** Device clock for reading timestamps (epoch ms). Default `Date.now`. */
  clock?: () => number;
  logger?: Logger;
  /** Readings each device keeps while disconnected (default 1,000). */
  bufferLimit?: number;
  /** How often sequence numbers and counters are saved (ms, default 10,000). */
  persistMs?: number;
  /** Devices connecting at the same time while the fleet comes up (default 100): a ramp, not a stampede. */
  connectConcurrency?: number;
  /** Incidents and events (seed, rates). */
  models?: FleetModelOptions;
  /** Simulated network outages; `{ perHour: 0 }` turns them off. */
  outages?: OutageOptions;
  /** History to publish before live readings start (see {@link BackfillOptions}); none by default. */
  backfill?: BackfillOptions;
}

/** What a running simulation reports. Counts are readings (an array message counts each element). */
export interface SimulationStats {
  devices: number;
  connected: number;
  published: number;
  acked: number;
  /** Readings waiting in device buffers for a connection. */
  buffered: number;
  /** Readings dropped from full buffers (the oldest go first). */
  dropped: number;
  /** Devices cut off by a simulated outage now, and outages since the start. */
  offline: number;
  outages: number;
  /** Time to first connection per device (ms): median, 95th percentile, slowest; over those connected so far. */
  connectMs: { count: number; p50: number; p95: number; max: number };
  /** Readings of the backfill acknowledged so far, and whether live publishing has started. */
  backfilled: number;
  live: boolean;
}

/** A running simulation. */
export interface Simulation {
  /** Sends every device's retained `offline`, disconnects cleanly and saves sequence numbers and counters. */
  stop(): Promise<void>;
  stats(): SimulationStats;
  /** Resolves when the backfill is done and live publishing has started (null report without a backfill). */
  readonly backfilled: Promise<BackfillReport | null>;
}

/**
 * Starts the simulated Thessaloniki fleet: provisions one device per selected catalogue asset (reusing
 * the credentials kept in `<dataDir>/simulator/credentials.json`), connects each as a real MQTT client and
 * publishes a reading from every device each `intervalMs`, spread over the interval. Resolves once the
 * fleet is provisioned and connecting; devices connect (and reconnect) in the background.
 */
export async function startSimulation(opts: SimulationOptions): Promise<Simulation> {
  const logger = opts.logger ?? silentLogger;
  const clock = opts.clock ?? Date.now;
  const persistMs = opts.persistMs ?? 10_000;
  const { assets, capped, available } = selectAssets(opts.count, opts.synthetic ?? 0);
  if (capped) logger.warn({ requested: opts.count, simulated: available }, 'more simulated devices requested than catalogue assets; capped');

  const state = await loadState(opts.dataDir, persistMs, logger);
  const t0 = Date.now();
  const { members, created, renewed, skipped } = await provisionFleet(opts.registry, assets, state, logger);
  state.clean = false;
  state.interval_ms = opts.intervalMs;
  state.persist_ms = persistMs;
  await saveSimState(opts.dataDir, state);
  logger.info({ devices: members.length, created, renewed, skipped, ms: Date.now() - t0 }, 'simulated fleet provisioned');

  // With a backfill, the retrofitted building's step falls half way through it (unless the models say when).
  const modelOpts = opts.backfill ? { retrofitDaysAgo: retrofitDaysAgoFor(opts.backfill.days), ...opts.models } : opts.models;
  const models = createFleetModels(modelOpts, assets.filter((a) => a.properties.kind === 'traffic' && a.properties.synthetic));
  const outages = createOutages(opts.outages, clock());
  const counters: FleetCounters = { published: 0, acked: 0, dropped: 0 };
  const devices = members.map((m) => new SimDevice({
    id: m.id,
    asset: m.asset,
    state: state.devices[m.id]!,
    mqttUrl: opts.mqttUrl,
    counters,
    logger,
    bufferLimit: opts.bufferLimit ?? 1_000,
    models,
    outages,
  }));
  rampConnections(devices, opts.connectConcurrency ?? 100);

  let stopped: Promise<void> | undefined;
  let wheel: Wheel | undefined;
  let backfilledReadings = 0;
  const startLive = () => {
    if (!stopped && !wheel) wheel = startWheel(devices.length, opts.intervalMs, (i) => devices[i]!.tick(clock()));
  };
  const backfilled: Promise<BackfillReport | null> = opts.backfill
    ? runBackfill(members.map((m, i) => ({ asset: m.asset, state: state.devices[m.id]!, waitConnected: (ms: number) => devices[i]!.waitConnected(ms), publishBatch: (r) => devices[i]!.publishBatch(r) })),
      opts.backfill, clock, models, (n) => { backfilledReadings = n; }).then((report) => {
      logger.info({ ...report }, 'backfill done; live readings start');
      startLive();
      return report;
    }, (err: unknown) => {
      logger.warn({ err }, 'backfill failed; live readings start');
      startLive();
      return null;
    })
    : Promise.resolve(null);
  if (!opts.backfill) startLive();

  const save = stateSaver(opts.dataDir, state, logger);
  const persistTimer = setInterval(() => void save(false), persistMs);
  persistTimer.unref();

  return {
    stop() {
      stopped ??= (async () => {
        wheel?.stop();
        clearInterval(persistTimer);
        await Promise.all(devices.map((d) => d.stop()));
        await save(true);
        logger.info({ ...stats() }, 'simulated fleet stopped');
      })();
      return stopped;
    },
    stats,
    backfilled,
  };

  function stats(): SimulationStats {
    return fleetStats(devices, counters, backfilledReadings, wheel !== undefined);
  }
}

/**
 * The simulator's saved state. When the last run crashed after its last save, its devices may have used sequence
 * numbers past the saved ones: they skip past anything it can have sent, so no sequence number is used twice.
 */
async function loadState(dataDir: string, persistMs: number, logger: Logger): Promise<SimState> {
  const state = await loadSimState(dataDir, (o, m) => logger.warn(o, m));
  if (!state.clean && state.interval_ms > 0) {
    const skip = Math.ceil((state.persist_ms || persistMs) / state.interval_ms) + 2;
    for (const d of Object.values(state.devices)) d.next_seq += skip;
    logger.info({ skip }, 'simulator did not stop cleanly last time; sequence numbers skip ahead');
  }
  return state;
}

/** Saves `state` (marked clean or not), one save after another; a failed save is logged, not thrown. */
function stateSaver(dataDir: string, state: SimState, logger: Logger): (clean: boolean) => Promise<void> {
  let saving: Promise<void> = Promise.resolve();
  return (clean) => {
    state.clean = clean;
    saving = saving.then(() => saveSimState(dataDir, state)).catch((err: unknown) => {
      logger.warn({ err }, 'could not save simulator state');
    });
    return saving;
  };
}

/** What the fleet's devices report, summed up. */
function fleetStats(devices: readonly SimDevice[], counters: FleetCounters, backfilled: number, live: boolean): SimulationStats {
  let connected = 0;
  let buffered = 0;
  let offline = 0;
  let outageCount = 0;
  const connectTimes: number[] = [];
  for (const d of devices) {
    if (d.connected) connected++;
    if (d.offline) offline++;
    outageCount += d.outages;
    buffered += d.buffered;
    if (d.firstConnectMs !== undefined) connectTimes.push(d.firstConnectMs);
  }
  connectTimes.sort((a, b) => a - b);
  const q = (p: number) => (connectTimes.length ? connectTimes[Math.min(connectTimes.length - 1, Math.floor(p * connectTimes.length))]! : 0);
  return {
    devices: devices.length, connected, ...counters, buffered, offline, outages: outageCount,
    connectMs: { count: connectTimes.length, p50: q(0.5), p95: q(0.95), max: connectTimes.at(-1) ?? 0 },
    backfilled,
    live,
  };
}

/**
 * Connects the devices with at most `concurrency` first attempts under way: each device that connects (or
 * fails its first attempt, after which mqtt.js retries it by itself) lets the next one start.
 */
function rampConnections(devices: readonly SimDevice[], concurrency: number): void {
  let next = 0;
  const startNext = (): void => {
    const d = devices[next++];
    if (d) d.connect(startNext);
  };
  for (let i = 0; i < Math.max(1, concurrency); i++) startNext();
}
