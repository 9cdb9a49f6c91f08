/**
 * Step 5: 10,000 concurrent device connections to the hub: the simulator (`cityhub devices simulate`, one
 * process, one mqtt.js client per device, synthetic assets beyond the 212 real ones) connects them with a
 * ramp of 200 at a time and then publishes every 5 s. Measured: time to connect each and all, RSS of the
 * hub and of the simulator once every device is up and publishing (12 s after), and the hub's highest RSS over
 * the 3.5 minutes of publishing that follow (STEADY_MS), sampled every 5 s. Then the hub is restarted on the same
 * port and data directory: the time until every device is connected again (each retries every 1–3 s, as
 * the simulator does; no verification is cached in the new process, so every login is checked), and the
 * restarted hub's RSS. Device secrets are the registry's own keyed hashes, as in any installation.
 */
import { rm } from 'node:fs/promises';
import { left, type BenchContext } from '../lib/context.js';
import { startBenchHub, storeThread, type BenchHub } from '../lib/hub.js';
import { sleep } from '../lib/procs.js';
import { startSimulator, type BenchSimulator } from '../lib/simulator.js';
import { figure, type Figure } from '../lib/stats.js';

const REAL_ASSETS = 212;

export interface ConnectionRun {
  devices: number;
  connected: number;
  provisionMs: number;
  /** From the first connection attempt until every device was connected. */
  allConnectedMs: number;
  /** Per device, CONNECT to CONNACK as the device saw it (ramp of 200 at a time). */
  perConnectionMs: { p50: number; p95: number; max: number };
  hubRssMb: number;
  /** The highest hub RSS of samples every `STEADY_SAMPLE_MS` over the `STEADY_MS` of publishing after `hubRssMb` was read. */
  hubRssSteadyMb: number;
  hubPeakMb: number;
  simRssMb: number;
  /** Where the store ran when RSS was read. */
  storeThread: 'main' | 'own';
  /** Readings acknowledged per second while all devices publish every 5 s. */
  readingsPerS: number;
  /** The hub restarted under the connected fleet (absent when the budget did not allow it). */
  restart?: RestartRun;
}

export interface RestartRun {
  /** From the old hub's SIGTERM until the new one listened. */
  downMs: number;
  /** From the new hub listening until every device was connected to it again (1 s resolution). */
  reconnectMs: number;
  /** Devices connected when the wait ended. */
  connected: number;
  hubRssMb: number;
  storeThread: 'main' | 'own';
}

export interface ConnectionResults {
  runs: ConnectionRun[];
  allConnectedMs: Figure;
  perConnectionP50Ms: Figure;
  hubRssMb: Figure;
  /** Per run, the highest RSS over `steadyS` of publishing after that (see ConnectionRun.hubRssSteadyMb). */
  hubRssSteadyMb: Figure;
  /** How long the RSS was sampled after the first reading, s (absent in results from before it was 210: 60). */
  steadyS?: number;
  simRssMb: Figure;
  /** Every device back on a restarted hub, from the moment it listened. */
  reconnectMs: Figure;
  restartHubRssMb: Figure;
  /** Extra node flags the hub ran with, if any. */
  hubNodeOptions?: string;
}

type Stats = { t: number; connected: number; acked: number };
const statsOf = (sim: BenchSimulator): Stats[] => sim.events().filter((e) => e.event === 'stats') as unknown as Stats[];

/** Waits for a `stats` event after `since` with every device connected; the last count when `timeoutMs` runs out. */
async function allConnectedAfter(sim: BenchSimulator, devices: number, since: number, timeoutMs: number): Promise<{ t: number; connected: number }> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const after = statsOf(sim).filter((e) => e.t >= since);
    const done = after.find((e) => e.connected >= devices);
    if (done) return done;
    if (Date.now() > end) return { t: NaN, connected: after.at(-1)?.connected ?? 0 };
    await sleep(200);
  }
}

/**
 * The least the first run waits, whatever is left of the budget, for the fleet to connect and to come back after a
 * restart: the step's figures answer the targets (10,000 devices, back within 60 s) only when every device was
 * given the time. 10,000 connect in about 13 s on 2 cores.
 */
const CONNECT_FLOOR_MS = 60_000;
/**
 * After the first RSS reading, the fleet keeps publishing this long (ms) while the hub's RSS is sampled: a hub's memory
 * 12 s after its fleet came up is not what it holds once its store has taken minutes of the fleet's readings. Long
 * enough for the first folds of the rollups (2 min behind the clock, once a minute) and several checkpoints (one
 * every 30 s or so at 2,000 readings/s): over one minute the reading ended before the first fold, and by hand the
 * RSS then sawed 40–60 MB higher with each checkpoint.
 */
const STEADY_MS = 210_000;
const STEADY_SAMPLE_MS = 5_000;
const RESTART_TARGET_MS = 60_000;

/** Restarts `hub` on its port and data directory under the connected fleet; returns the new hub and the figures. */
async function restartUnder(ctx: BenchContext, hub: BenchHub, sim: BenchSimulator, devices: number, hubNodeOptions?: string): Promise<{ hub: BenchHub; run: RestartRun }> {
  const t0 = Date.now();
  await hub.stop({ keepData: true });
  const next = await startBenchHub({
    dataDir: hub.dataDir, env: { CITYHUB_MQTT_PORT: String(hub.mqttPort) }, ...(hubNodeOptions && { nodeArgs: hubNodeOptions.split(' ') }),
  });
  const listening = Date.now();
  // At least the target's 60 s, whatever the budget: a shorter wait cannot tell whether the target was met.
  const back = await allConnectedAfter(sim, devices, listening, Math.max(RESTART_TARGET_MS, Math.min(180_000, left(ctx) - 30_000)));
  const mem = next.rss();
  const run = { downMs: listening - t0, reconnectMs: back.t - listening, connected: back.connected, hubRssMb: mem.rss / 1048576, storeThread: await storeThread(next) };
  ctx.log(`restart: hub down ${run.downMs} ms, then ${back.connected} of ${devices} devices back in ${Number.isFinite(run.reconnectMs) ? `${run.reconnectMs} ms` : 'more than the wait'}, ` +
    `hub RSS ${run.hubRssMb.toFixed(0)} MB, the store on the ${run.storeThread === 'own' ? 'thread of its own' : 'acknowledging thread'}`);
  return { hub: next, run };
}

async function oneRun(ctx: BenchContext, devices: number, first: boolean, hubNodeOptions?: string): Promise<ConnectionRun> {
  let hub = await startBenchHub({ ...(ctx.profileDir && { cpuProfDir: ctx.profileDir }), ...(hubNodeOptions && { nodeArgs: hubNodeOptions.split(' ') }) });
  const dataDir = hub.dataDir;
  try {
    const sim = startSimulator([
      '--count', String(devices), '--synthetic', String(Math.max(0, devices - REAL_ASSETS)),
      '--interval-ms', '5000', '--outages-per-hour', '0', '--connect-concurrency', '200', '--stats-ms', '1000',
      '--mqtt', `mqtt://${hub.mqttHost}:${hub.mqttPort}`,
    ], { CITYHUB_DATA_DIR: dataDir });
    try {
      const started = await sim.waitFor('started', 180_000);
      const waitMs = Math.min(240_000, Math.max(first ? CONNECT_FLOOR_MS : 0, left(ctx) - 60_000));
      // If not every device gets through in time, the run is reported with how many did.
      const connected = await sim.waitFor('connected', waitMs).catch(() => {
        const last = sim.events().filter((e) => e.event === 'stats').at(-1);
        ctx.log(`only ${Number(last?.connected ?? 0)} of ${devices} devices connected within ${(waitMs / 1000).toFixed(0)} s`);
        return { event: 'connected', t: Date.now(), devices: (last?.connected as number | undefined) ?? 0, ms: NaN, connect_ms: last?.connectMs ?? { p50: NaN, p95: NaN, max: NaN } };
      });
      // Let every device publish for a few rounds before reading memory.
      await sleep(12_000);
      const stats = statsOf(sim);
      const [a, b] = [stats.at(-6), stats.at(-1)];
      const readingsPerS = a && b ? (b.acked - a.acked) / ((b.t - a.t) / 1000) : NaN;
      const hubMem = hub.rss();
      const simMem = sim.rss();
      let steady = hubMem.rss;
      for (const end = Date.now() + STEADY_MS; Date.now() < end;) {
        await sleep(STEADY_SAMPLE_MS);
        steady = Math.max(steady, hub.rss().rss);
      }
      const c = connected.connect_ms as { p50: number; p95: number; max: number };
      const run: ConnectionRun = {
        devices, connected: connected.devices as number, provisionMs: started.provisioned_ms as number, allConnectedMs: connected.ms as number,
        perConnectionMs: { p50: c.p50, p95: c.p95, max: c.max }, hubRssMb: hubMem.rss / 1048576, hubRssSteadyMb: steady / 1048576, hubPeakMb: hubMem.peak / 1048576,
        simRssMb: simMem.rss / 1048576, storeThread: await storeThread(hub), readingsPerS,
      };
      ctx.log(`${devices} devices: all connected in ${run.allConnectedMs} ms (per device p50 ${c.p50.toFixed(0)} ms), ` +
        `hub RSS ${run.hubRssMb.toFixed(0)} MB (peak ${run.hubPeakMb.toFixed(0)}; the highest over the next ${STEADY_MS / 1000} s ${run.hubRssSteadyMb.toFixed(0)}), simulator RSS ${run.simRssMb.toFixed(0)} MB, ${readingsPerS.toFixed(0)} readings/s, ` +
        `the store on the ${run.storeThread === 'own' ? 'thread of its own' : 'acknowledging thread'}`);
      if (first || left(ctx) > 90_000) {
        const r = await restartUnder(ctx, hub, sim, devices, hubNodeOptions);
        hub = r.hub;
        run.restart = r.run;
      }
      return run;
    } finally {
      await sim.stop(90_000);
    }
  } finally {
    await hub.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export async function connections(ctx: BenchContext, devices: number, hubNodeOptions?: string): Promise<ConnectionResults> {
  const runs: ConnectionRun[] = [];
  // Each run takes a minute or more: repeat only while the budget allows.
  for (let r = 0; r < ctx.runs; r++) {
    if (r > 0 && left(ctx) < 150_000) break;
    runs.push(await oneRun(ctx, devices, r === 0, hubNodeOptions));
  }
  const restarts = runs.flatMap((r) => (r.restart ? [r.restart] : []));
  return {
    runs,
    allConnectedMs: figure(runs.map((r) => r.allConnectedMs)),
    perConnectionP50Ms: figure(runs.map((r) => r.perConnectionMs.p50)),
    hubRssMb: figure(runs.map((r) => r.hubRssMb)),
    hubRssSteadyMb: figure(runs.map((r) => r.hubRssSteadyMb)),
    steadyS: STEADY_MS / 1000,
    simRssMb: figure(runs.map((r) => r.simRssMb)),
    reconnectMs: figure(restarts.map((r) => r.reconnectMs)),
    restartHubRssMb: figure(restarts.map((r) => r.hubRssMb)),
    ...(hubNodeOptions && { hubNodeOptions }),
  };
}
