import type { FileRegistry } from '../registry/file-registry.js';
import { provisionFleet } from './provision.js';
import { selectAssets } from './select-assets.js';
import { SimDevice, type FleetCounters, type SimLogger } from './sim-device.js';
import { loadSimState, saveSimState } from './sim-state.js';
import { startWheel } from './wheel.js';

/** Options of {@link startSimulation}. */
export interface SimulationOptions {
  /** The broker, e.g. `mqtt://127.0.0.1:1883`. */
  mqttUrl: string;
  /** Where the simulated devices are provisioned. */
  registry: FileRegistry;
  /** The hub's data directory: the simulator keeps its devices' credentials and counters in `simulator/`. */
  dataDir: string;
  /** How many devices (default: one per catalogue asset; capped at the number of assets). */
  count?: number;
  /** How often each device publishes (ms). */
  intervalMs: number;
  /** Device clock for reading timestamps (epoch ms). Default `Date.now`. */
  clock?: () => number;
  logger?: SimLogger;
  /** Readings each device keeps while disconnected (default 1,000). */
  bufferLimit?: number;
  /** How often sequence numbers and counters are saved (ms, default 10,000). */
  persistMs?: number;
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
}

/** A running simulation. */
export interface Simulation {
  /** Sends every device's retained `offline`, disconnects cleanly and saves sequence numbers and counters. */
  stop(): Promise<void>;
  stats(): SimulationStats;
}

const quiet: SimLogger = { info() {}, warn() {} };

/**
 * Starts the simulated Thessaloniki fleet: provisions one device per selected catalogue asset (reusing
 * the credentials kept in `<dataDir>/simulator/credentials.json`), connects each as a real MQTT client and
 * publishes a reading from every device each `intervalMs`, spread over the interval. Resolves once the
 * fleet is provisioned and connecting; devices connect (and reconnect) in the background.
 */
export async function startSimulation(opts: SimulationOptions): Promise<Simulation> {
  const logger = opts.logger ?? quiet;
  const clock = opts.clock ?? Date.now;
  const persistMs = opts.persistMs ?? 10_000;
  const { assets, capped, available } = selectAssets(opts.count);
  if (capped) logger.warn({ requested: opts.count, simulated: available }, 'more simulated devices requested than catalogue assets; capped');

  const state = await loadSimState(opts.dataDir, (o, m) => logger.warn(o, m));
  if (!state.clean && state.interval_ms > 0) {
    // The last run crashed after its last save: its devices may have used sequence numbers past the saved
    // ones. Skip past anything it can have sent, so no sequence number is ever used twice.
    const skip = Math.ceil((state.persist_ms || persistMs) / state.interval_ms) + 2;
    for (const d of Object.values(state.devices)) d.next_seq += skip;
    logger.info({ skip }, 'simulator did not stop cleanly last time; sequence numbers skip ahead');
  }
  const t0 = Date.now();
  const { members, created, renewed, skipped } = await provisionFleet(opts.registry, assets, state, logger);
  state.clean = false;
  state.interval_ms = opts.intervalMs;
  state.persist_ms = persistMs;
  await saveSimState(opts.dataDir, state);
  logger.info({ devices: members.length, created, renewed, skipped, ms: Date.now() - t0 }, 'simulated fleet provisioned');

  const counters: FleetCounters = { published: 0, acked: 0, dropped: 0 };
  const devices = members.map((m) => new SimDevice({
    id: m.id,
    asset: m.asset,
    state: state.devices[m.id]!,
    mqttUrl: opts.mqttUrl,
    counters,
    logger,
    bufferLimit: opts.bufferLimit ?? 1_000,
  }));
  for (const d of devices) d.connect();
  const wheel = startWheel(devices.length, opts.intervalMs, (i) => devices[i]!.tick(clock()));

  let saving: Promise<void> = Promise.resolve();
  const save = (clean: boolean): Promise<void> => {
    state.clean = clean;
    saving = saving.then(() => saveSimState(opts.dataDir, state)).catch((err: unknown) => {
      logger.warn({ err }, 'could not save simulator state');
    });
    return saving;
  };
  const persistTimer = setInterval(() => void save(false), persistMs);
  persistTimer.unref();

  let stopped: Promise<void> | undefined;
  return {
    stop() {
      stopped ??= (async () => {
        wheel.stop();
        clearInterval(persistTimer);
        await Promise.all(devices.map((d) => d.stop()));
        await save(true);
        logger.info({ ...stats() }, 'simulated fleet stopped');
      })();
      return stopped;
    },
    stats,
  };

  function stats(): SimulationStats {
    let connected = 0;
    let buffered = 0;
    for (const d of devices) {
      if (d.connected) connected++;
      buffered += d.buffered;
    }
    return { devices: devices.length, connected, ...counters, buffered };
  }
}
