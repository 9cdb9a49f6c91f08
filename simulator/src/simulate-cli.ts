import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import type { Logger } from '@cityhub/contracts';
import { loadCatalogue, MAX_SYNTHETIC_ASSETS } from '@cityhub/contracts/catalogue';
import { DeviceError, openRegistry, SCRYPT_PARAMS, type CliOutput, type FileRegistry } from '@cityhub/devices';
import { startSimulation, type Simulation, type SimulationOptions, type SimulationStats } from './simulation.js';

/** What `cityhub devices simulate` takes from the hub's configuration. */
export interface SimulateEnv {
  /** CITYHUB_DATA_DIR: the registry the devices are provisioned in (without Redis), and the simulator's own state. */
  dataDir: string;
  /** CITYHUB_REDIS_URL: the registry is in this Redis, shared by every broker node. */
  redisUrl?: string | undefined;
  /** CITYHUB_DEVICE_SECRET_KEY: the key device secrets are hashed with (see the registry's `secretKey`). */
  secretKey?: string | undefined;
  /** CITYHUB_MQTT_HOST / CITYHUB_MQTT_PORT: the broker, unless `--mqtt` names another. */
  mqttHost?: string;
  mqttPort?: number;
  /** CITYHUB_SYNTHETIC_ASSETS: synthetic catalogue assets (default 0), unless `--synthetic` says otherwise. */
  syntheticAssets?: number;
  /** CITYHUB_SIMULATE_INTERVAL_MS: publish interval, unless `--interval-ms` says otherwise (default 5,000). */
  intervalMs?: number;
  /** CITYHUB_RETENTION_RAW_DAYS: the hub refuses older readings, so a backfill stops short of it (default 30). */
  retentionDays?: number;
  /** CITYHUB_TZ: the city's time zone, which the simulated daily patterns follow (default Europe/Athens). */
  zone?: string;
  /** Stops the simulation when aborted; without it, SIGINT and SIGTERM do. */
  signal?: AbortSignal;
}

export const SIMULATE_HELP = `Usage: cityhub devices simulate [--count N] [--interval-ms MS] [--backfill-days D] [--mqtt URL] [options]

Runs the simulated Thessaloniki fleet against any MQTT broker until stopped (Ctrl+C): every device a real
MQTT client with its own credentials, provisioned in the registry of CITYHUB_DATA_DIR, or in the Redis of
CITYHUB_REDIS_URL when it is set (give the same one as the brokers). Their credentials are kept with their
sequence numbers in <data dir>/simulator/, so a second run continues the same devices.

Options:
  --count N               devices (default: one per catalogue asset). Above the 212 real assets, the
                          catalogue needs synthetic assets: CITYHUB_SYNTHETIC_ASSETS (for the hub too) or --synthetic
  --interval-ms MS        each device publishes once per MS (default CITYHUB_SIMULATE_INTERVAL_MS, 5000)
  --backfill-days D       first publish D days of history per device (arrays of up to 5,000 readings, QoS 1),
                          at most the raw retention (CITYHUB_RETENTION_RAW_DAYS); then live readings
  --backfill-step-ms MS   time between two backfilled readings of a device (default 300000: 5 minutes)
  --backfill-inflight N   messages in flight during the backfill (default 8)
  --mqtt URL              the broker (default mqtt://CITYHUB_MQTT_HOST:CITYHUB_MQTT_PORT)
  --synthetic N           synthetic catalogue assets (default CITYHUB_SYNTHETIC_ASSETS, 0); must match the hub's
  --seed S                seed of incidents, events and outages (default 0)
  --outages-per-hour P    chance a device drops offline for 2-15 min in an hour (default 0.02; 0 = never)
  --connect-concurrency N devices connecting at once while the fleet comes up (default 100)
  --hash-cost N           scrypt N for new device secrets when the registry hashes with scrypt (in Redis
                          without CITYHUB_DEVICE_SECRET_KEY; default ${SCRYPT_PARAMS.N}); lower only for load tests
  --duration-s S          stop after S seconds (default: run until stopped)
  --stats-ms MS           print progress every MS (default 10000)
  --json                  print events as JSON lines
  -h, --help              show this help`;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  count: { type: 'string' },
  'interval-ms': { type: 'string' },
  'backfill-days': { type: 'string' },
  'backfill-step-ms': { type: 'string' },
  'backfill-inflight': { type: 'string' },
  mqtt: { type: 'string' },
  synthetic: { type: 'string' },
  seed: { type: 'string' },
  'outages-per-hour': { type: 'string' },
  'connect-concurrency': { type: 'string' },
  'hash-cost': { type: 'string' },
  'duration-s': { type: 'string' },
  'stats-ms': { type: 'string' },
  json: { type: 'boolean' },
} as const;

class UsageError extends Error {}

/** From this many devices on, the simulator asks V8 to favour memory over speed (see simulateCommand). */
const LARGE_FLEET = 1_000;

/** A number option: absent → undefined; otherwise it must be a finite number within [min, max]. */
function num(values: Record<string, unknown>, name: string, min: number, max: number, integer = true): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new UsageError(`--${name} needs a value`);
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, not "${raw}"`);
  }
  return v;
}

/** Resolves when the signal aborts, or on SIGINT/SIGTERM without one; or after `ms` if given. */
function untilStopped(signal: AbortSignal | undefined, ms: number | undefined): Promise<string> {
  return new Promise((resolve) => {
    const cleanups: Array<() => void> = [];
    const done = (why: string) => {
      for (const c of cleanups) c();
      resolve(why);
    };
    if (ms !== undefined) {
      const t = setTimeout(() => done('duration'), ms);
      cleanups.push(() => clearTimeout(t));
    }
    if (signal) {
      if (signal.aborted) return done('aborted');
      const onAbort = () => done('aborted');
      signal.addEventListener('abort', onAbort, { once: true });
      cleanups.push(() => signal.removeEventListener('abort', onAbort));
    } else {
      const onSignal = (s: NodeJS.Signals) => done(s);
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      cleanups.push(() => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      });
    }
  });
}

/** The options read before the fleet starts; the others are read as it starts (see {@link fleetOptions}). */
interface RunOptions {
  values: Record<string, unknown>;
  json: boolean;
  synthetic: number;
  count: number;
  intervalMs: number;
  retentionDays: number;
  backfillDays: number | undefined;
  stepMs: number;
  inflight: number;
  hashN: number | undefined;
  durationS: number | undefined;
  statsMs: number;
  mqttUrl: string;
}

/** Reads the command line; null for --help. Throws a UsageError for a bad option. */
function readOptions(args: string[], env: SimulateEnv): RunOptions | null {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args, strict: true, options: OPTIONS }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) return null;
  const json = values.json === true;
  const synthetic = num(values, 'synthetic', 0, MAX_SYNTHETIC_ASSETS) ?? env.syntheticAssets ?? 0;
  const available = loadCatalogue({ synthetic }).features.length;
  const count = num(values, 'count', 0, 100_000) ?? available;
  if (count > available) {
    throw new UsageError(`the catalogue holds ${available} assets, fewer than --count ${count}: give --synthetic ${count - available + synthetic} ` +
      `(and CITYHUB_SYNTHETIC_ASSETS=${count - available + synthetic} to the hub, so it knows those assets)`);
  }
  const intervalMs = num(values, 'interval-ms', 100, 3_600_000) ?? env.intervalMs ?? 5_000;
  const retentionDays = env.retentionDays ?? 30;
  const backfillDays = num(values, 'backfill-days', 0, retentionDays, false);
  const stepMs = num(values, 'backfill-step-ms', 1_000, 86_400_000) ?? 300_000;
  const inflight = num(values, 'backfill-inflight', 1, 1_000) ?? 8;
  const hashN = num(values, 'hash-cost', 2, 1 << 20);
  if (hashN !== undefined && (hashN & (hashN - 1)) !== 0) throw new UsageError('--hash-cost must be a power of two');
  const durationS = num(values, 'duration-s', 0, 1e7, false);
  const statsMs = num(values, 'stats-ms', 100, 3_600_000) ?? 10_000;
  const mqttUrl = typeof values.mqtt === 'string' ? values.mqtt : `mqtt://${env.mqttHost ?? '127.0.0.1'}:${env.mqttPort ?? 1883}`;
  if (!/^mqtts?:\/\/[^/\s]+/.test(mqttUrl)) throw new UsageError(`--mqtt must be an mqtt:// or mqtts:// URL, not "${mqttUrl}"`);
  return { values, json, synthetic, count, intervalMs, retentionDays, backfillDays, stepMs, inflight, hashN, durationS, statsMs, mqttUrl };
}

/** The simulation's options, reading the options that only it takes (a UsageError for a bad one). */
function fleetOptions(o: RunOptions, env: SimulateEnv, registry: FileRegistry, logger: Logger): SimulationOptions {
  const { values, backfillDays } = o;
  return {
    mqttUrl: o.mqttUrl, registry, dataDir: env.dataDir, count: o.count, synthetic: o.synthetic, intervalMs: o.intervalMs, logger,
    connectConcurrency: num(values, 'connect-concurrency', 1, 100_000) ?? 100,
    models: { seed: num(values, 'seed', 0, 2 ** 32 - 1) ?? 0, ...(env.zone !== undefined && { zone: env.zone }) },
    outages: { perHour: num(values, 'outages-per-hour', 0, 1, false) ?? 0.02, seed: num(values, 'seed', 0, 2 ** 32 - 1) ?? 0 },
    ...(backfillDays !== undefined && backfillDays > 0 && {
      backfill: { days: backfillDays, stepMs: o.stepMs, maxInflight: o.inflight, maxAgeMs: o.retentionDays * 86_400_000 },
    }),
  };
}

type Emit = (event: string, data: Record<string, unknown>, text: string) => void;

/** Warnings go to `out.error`, as JSON lines with `json`; the rest is left to the progress events. */
function commandLogger(out: CliOutput, json: boolean): Logger {
  const warn = (obj: object, msg?: string) => {
    out.error(json ? JSON.stringify({ event: 'warning', message: msg, ...obj }) : `warning: ${String(msg)} ${JSON.stringify(obj)}`);
  };
  return { debug() {}, info() {}, warn, error: warn };
}

const describeStats = (s: SimulationStats) =>
  `${s.connected}/${s.devices} connected, ${s.acked}/${s.published} readings acknowledged, ${s.backfilled} backfilled, ` +
  `${s.buffered} buffered, ${s.offline} offline, rss ${Math.round(process.memoryUsage().rss / 1048576)} MB`;

/**
 * Emits `connected` once every device is, `stats` every `statsMs` and `backfilled` when the backfill is done;
 * `sinceMs` is when the fleet started connecting. Returns the function that stops the periodic events.
 */
function reportProgress(running: Simulation, emit: Emit, sinceMs: number, statsMs: number): () => void {
  let allConnected = false;
  const progress = setInterval(() => {
    const s = running.stats();
    if (!allConnected && s.connected === s.devices) {
      allConnected = true;
      emit('connected', { devices: s.devices, ms: Math.round(performance.now() - sinceMs), connect_ms: s.connectMs, rss: process.memoryUsage().rss },
        `All ${s.devices} devices connected in ${Math.round(performance.now() - sinceMs)} ms (per device: median ${s.connectMs.p50.toFixed(0)} ms, p95 ${s.connectMs.p95.toFixed(0)} ms).`);
    }
  }, 100);
  const periodic = setInterval(() => {
    const s = running.stats();
    const m = process.memoryUsage();
    emit('stats', { ...s, rss: m.rss, heap_used: m.heapUsed, heap_total: m.heapTotal, external: m.external }, describeStats(s));
  }, statsMs);
  void running.backfilled.then((r) => {
    if (r) emit('backfilled', { ...r }, `Backfilled ${r.readings} readings of ${r.devices} devices in ${Math.round(r.ms)} ms; live readings started.`);
  });
  return () => {
    clearInterval(progress);
    clearInterval(periodic);
  };
}

/**
 * `cityhub devices simulate`: the simulated fleet in a process of its own, against any broker (split
 * mode). Resolves with the exit status once stopped: 0 after a clean stop, 2 for bad options, 1 otherwise.
 */
export async function simulateCommand(args: string[], env: SimulateEnv, out: CliOutput): Promise<number> {
  let registry: FileRegistry | undefined;
  let sim: Simulation | undefined;
  try {
    const o = readOptions(args, env);
    if (o === null) {
      out.log(SIMULATE_HELP);
      return 0;
    }
    const emit: Emit = (event, data, text) => {
      out.log(o.json ? JSON.stringify({ event, t: Date.now(), ...data }) : text);
    };
    // This process is the fleet: with thousands of clients V8's default heap growth lets garbage pile up to
    // about twice the live heap (measured: 10,000 devices at ~390 MB and rising, ~260 MB steady with this).
    if (o.count >= LARGE_FLEET) setFlagsFromString('--optimize-for-size');
    registry = await openRegistry(env.dataDir, {
      syntheticAssets: o.synthetic, redisUrl: env.redisUrl, secretKey: env.secretKey,
      ...(o.hashN !== undefined && { hashParams: { ...SCRYPT_PARAMS, N: o.hashN } }),
    });
    const t0 = performance.now();
    sim = await startSimulation(fleetOptions(o, env, registry, commandLogger(out, o.json)));
    const running = sim;
    const provisionedMs = performance.now() - t0;
    emit('started', { devices: running.stats().devices, mqtt: o.mqttUrl, provisioned_ms: Math.round(provisionedMs), rss: process.memoryUsage().rss },
      `Simulating ${running.stats().devices} devices against ${o.mqttUrl} (provisioned in ${Math.round(provisionedMs)} ms). Ctrl+C stops.`);
    const stopReports = reportProgress(running, emit, t0 + provisionedMs, o.statsMs);
    const why = await untilStopped(env.signal, o.durationS === undefined ? undefined : o.durationS * 1000);
    stopReports();
    await running.stop();
    const s = running.stats();
    emit('stopped', { reason: why, ...s, rss: process.memoryUsage().rss }, `Stopped (${why}): ${describeStats(s)}.`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      out.error(`cityhub devices simulate: ${e.message}\n${SIMULATE_HELP.split('\n')[0]}`);
      return 2;
    }
    out.error(`cityhub devices simulate: ${(e as Error).message}`);
    return e instanceof DeviceError && e.usage ? 2 : 1;
  } finally {
    await sim?.stop();
    await registry?.close();
  }
}
