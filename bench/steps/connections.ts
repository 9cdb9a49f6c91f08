/**
 * Step 5: 10,000 concurrent device connections to the hub: the simulator (`cityhub devices simulate`, one
 * process, one mqtt.js client per device, synthetic assets beyond the 212 real ones) connects them with a
 * ramp of 200 at a time and then publishes every 5 s. Measured: time to connect each and all, RSS of the
 * hub and of the simulator once every device is up and publishing.
 *
 * 10,000 scrypt hashes at the registry's default cost take about 3 minutes on 2 cores to create and as
 * long again for the hub to verify, more than the whole bench may take; the fleet's secrets are therefore
 * hashed at N = 1024 (`--hash-cost`; every hash carries its cost, so the hub verifies them unchanged), and
 * the cost of a cold connection at the default N = 16384 is measured on 200 devices beside it.
 */
import { SCRYPT_PARAMS } from '@cityhub/devices';
import { left, type BenchContext } from '../lib/context.js';
import { assetIds, provision, startBenchHub } from '../lib/hub.js';
import { sleep } from '../lib/procs.js';
import { RawMqtt } from '../lib/raw-mqtt.js';
import { startSimulator } from '../lib/simulator.js';
import { figure, quantile, type Figure } from '../lib/stats.js';

const REAL_ASSETS = 212;
const BENCH_HASH_N = 1024;
const COLD_SAMPLE = 200;

export interface ConnectionRun {
  devices: number;
  connected: number;
  provisionMs: number;
  /** From the first connection attempt until every device was connected. */
  allConnectedMs: number;
  /** Per device, CONNECT to CONNACK as the device saw it (ramp of 200 at a time). */
  perConnectionMs: { p50: number; p95: number; max: number };
  hubRssMb: number;
  hubPeakMb: number;
  simRssMb: number;
  /** Readings acknowledged per second while all devices publish every 5 s. */
  readingsPerS: number;
}

export interface ConnectionResults {
  runs: ConnectionRun[];
  allConnectedMs: Figure;
  perConnectionP50Ms: Figure;
  hubRssMb: Figure;
  simRssMb: Figure;
  hashN: number;
  /** Extra node flags the hub ran with, if any. */
  hubNodeOptions?: string;
  /** Cold authentication at the default scrypt cost: measured on a sample, then what 10,000 would take. */
  defaultCost: { n: number; devices: number; totalMs: number; perConnectionP50Ms: number; connectionsPerS: number; extrapolated10kS: number };
}

async function oneRun(ctx: BenchContext, devices: number, hubNodeOptions?: string): Promise<{ run: ConnectionRun; cold?: ConnectionResults['defaultCost'] }> {
  const hub = await startBenchHub({ ...(ctx.profileDir && { cpuProfDir: ctx.profileDir }), ...(hubNodeOptions && { nodeArgs: hubNodeOptions.split(' ') }) });
  try {
    const sim = startSimulator([
      '--count', String(devices), '--synthetic', String(Math.max(0, devices - REAL_ASSETS)), '--hash-cost', String(BENCH_HASH_N),
      '--interval-ms', '5000', '--outages-per-hour', '0', '--connect-concurrency', '200', '--stats-ms', '1000',
      '--mqtt', `mqtt://${hub.mqttHost}:${hub.mqttPort}`,
    ], { CITYHUB_DATA_DIR: hub.dataDir });
    let run: ConnectionRun;
    try {
      const started = await sim.waitFor('started', 180_000);
      const waitMs = Math.min(240_000, left(ctx) - 60_000);
      // If not every device gets through in time, the run is reported with how many did.
      const connected = await sim.waitFor('connected', waitMs).catch(() => {
        const last = sim.events().filter((e) => e.event === 'stats').at(-1);
        ctx.log(`only ${Number(last?.connected ?? 0)} of ${devices} devices connected within ${(waitMs / 1000).toFixed(0)} s`);
        return { event: 'connected', t: Date.now(), devices: (last?.connected as number | undefined) ?? 0, ms: NaN, connect_ms: last?.connectMs ?? { p50: NaN, p95: NaN, max: NaN } };
      });
      // Let every device publish for a few rounds before reading memory.
      await sleep(12_000);
      const stats = sim.events().filter((e) => e.event === 'stats');
      const [a, b] = [stats.at(-6), stats.at(-1)];
      const readingsPerS = a && b ? ((b.acked as number) - (a.acked as number)) / ((b.t - a.t) / 1000) : NaN;
      const hubMem = hub.rss();
      const simMem = sim.rss();
      const c = connected.connect_ms as { p50: number; p95: number; max: number };
      run = {
        devices, connected: connected.devices as number, provisionMs: started.provisioned_ms as number, allConnectedMs: connected.ms as number,
        perConnectionMs: { p50: c.p50, p95: c.p95, max: c.max }, hubRssMb: hubMem.rss / 1048576, hubPeakMb: hubMem.peak / 1048576,
        simRssMb: simMem.rss / 1048576, readingsPerS,
      };
      ctx.log(`${devices} devices: all connected in ${run.allConnectedMs} ms (per device p50 ${c.p50.toFixed(0)} ms), ` +
        `hub RSS ${run.hubRssMb.toFixed(0)} MB (peak ${run.hubPeakMb.toFixed(0)}), simulator RSS ${run.simRssMb.toFixed(0)} MB, ${readingsPerS.toFixed(0)} readings/s`);
    } finally {
      await sim.stop(90_000);
    }

    // Cold connections at the registry's default cost, on this hub (no cached verification for them).
    let cold: ConnectionResults['defaultCost'] | undefined;
    if (left(ctx) > 60_000) {
      const creds = await provision(hub.dataDir, 'traffic', assetIds('traffic', COLD_SAMPLE));
      const t0 = performance.now();
      const times = await Promise.all(creds.map(async (cr) => {
        const s = performance.now();
        const m = await RawMqtt.connect({ host: hub.mqttHost, port: hub.mqttPort, clientId: cr.id, username: cr.id, password: cr.secret, timeoutMs: 120_000 });
        const ms = performance.now() - s;
        await m.close();
        return ms;
      }));
      const totalMs = performance.now() - t0;
      const perS = COLD_SAMPLE / (totalMs / 1000);
      cold = { n: SCRYPT_PARAMS.N, devices: COLD_SAMPLE, totalMs, perConnectionP50Ms: quantile([...times].sort((x, y) => x - y), 0.5), connectionsPerS: perS, extrapolated10kS: 10_000 / perS };
      ctx.log(`default scrypt cost: ${COLD_SAMPLE} cold connections in ${totalMs.toFixed(0)} ms (${perS.toFixed(0)}/s): 10,000 would take ~${cold.extrapolated10kS.toFixed(0)} s`);
    }
    return { run, ...(cold && { cold }) };
  } finally {
    await hub.stop();
  }
}

export async function connections(ctx: BenchContext, devices: number, hubNodeOptions?: string): Promise<ConnectionResults> {
  const runs: ConnectionRun[] = [];
  let cold: ConnectionResults['defaultCost'] | undefined;
  // Each run takes a minute or more: repeat only while the budget allows.
  for (let r = 0; r < ctx.runs; r++) {
    if (r > 0 && left(ctx) < 150_000) break;
    const res = await oneRun(ctx, devices, hubNodeOptions);
    runs.push(res.run);
    cold ??= res.cold;
  }
  return {
    runs,
    allConnectedMs: figure(runs.map((r) => r.allConnectedMs)),
    perConnectionP50Ms: figure(runs.map((r) => r.perConnectionMs.p50)),
    hubRssMb: figure(runs.map((r) => r.hubRssMb)),
    simRssMb: figure(runs.map((r) => r.simRssMb)),
    hashN: BENCH_HASH_N,
    ...(hubNodeOptions && { hubNodeOptions }),
    defaultCost: cold ?? { n: SCRYPT_PARAMS.N, devices: 0, totalMs: NaN, perConnectionP50Ms: NaN, connectionsPerS: NaN, extrapolated10kS: NaN },
  };
}
