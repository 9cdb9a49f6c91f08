/**
 * Step 9: what a live city costs the hub. The real hub (`cityhub start`, no fleet of its own) and the
 * 212-device simulated city in a separate process (`cityhub devices simulate`, one reading per device every
 * 5 s, after a short backfill). Once the backfill is stored, the hub process's CPU time (user + system, from
 * /proc/<pid>/stat) is measured over consecutive windows: the share of one core, and CPU per reading stored, with
 * the spool's writes and store transactions per second and the acknowledged-to-queryable delay from /metrics. The
 * figure is the median of the windows with their spread: on a small VM one window alone moves by a point.
 */
import { loadavg } from 'node:os';
import type { BenchContext } from '../lib/context.js';
import { startBenchHub, type BenchHub } from '../lib/hub.js';
import { cpuSecondsOf, sleep } from '../lib/procs.js';
import { startSimulator } from '../lib/simulator.js';
import { figure, type Figure } from '../lib/stats.js';

const DEVICES = 212;
const INTERVAL_MS = 5_000;
const BACKFILL_DAYS = 1;
const WINDOW_MS = Number(process.env.BENCH_CITY_WINDOW_S ?? 60) * 1000;
const WINDOWS = Number(process.env.BENCH_CITY_WINDOWS ?? 3);

export interface CityWindow {
  seconds: number;
  cpuSeconds: number;
  /** CPU seconds per wall second, in % of one core. */
  corePercent: number;
  /** Readings the store confirmed in the window. */
  readings: number;
  cpuMsPerReading: number;
  transactionsPerS: number;
  /** The spool's synchronous writes (group commits) a second: one per reading, less as lone readings wait for company. */
  spoolWritesPerS?: number;
  /** Mean and largest (bucket bound) acknowledged-to-queryable delay of a writer round, s. */
  queryableDelayMeanS: number | null;
  queryableDelayMaxS: number | null;
}

export interface CityResults {
  devices: number;
  intervalMs: number;
  backfill: { readings: number; publishMs: number; storedMs: number };
  /** All the windows together. */
  window: CityWindow;
  /** Each window, and the median and spread of their shares of a core and CPU per reading. */
  windows: CityWindow[];
  corePercent: Figure;
  cpuMsPerReading: Figure;
  hubRssMb: number;
  /** Where the store ran at the end (`cityhub_store_own_thread`): by default it moves once readings come fast or the writer falls behind. */
  storeThread: 'main' | 'own';
  loadAverage: number[];
}

/** The hub's Prometheus samples, by name and labels as written. */
async function scrape(hub: BenchHub): Promise<Map<string, number>> {
  const text = await (await fetch(`${hub.httpUrl}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** Waits until the store confirmed `readings` and less than a round (1 MiB) waits in the spool (live readings keep coming). */
async function waitStored(hub: BenchHub, readings: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const m = await scrape(hub);
    if ((m.get('cityhub_store_points_written_total') ?? 0) >= readings && (m.get('cityhub_spool_backlog_bytes') ?? Infinity) < 1_048_576) return;
    if (Date.now() > end) throw new Error(`the backfill was not stored within ${timeoutMs} ms`);
    await sleep(1_000);
  }
}

/** The upper bound of the smallest delay bucket that holds every round of the window (cumulative buckets), from two scrapes. */
function maxDelay(a: Map<string, number>, b: Map<string, number>): number | null {
  const count = 'cityhub_store_queryable_delay_seconds_count';
  const total = (b.get(count) ?? 0) - (a.get(count) ?? 0);
  if (total === 0) return null;
  const bounds: number[] = [];
  for (const [k, v] of b) {
    const le = /^cityhub_store_queryable_delay_seconds_bucket\{le="([^"]+)"\}$/.exec(k)?.[1];
    if (le && le !== '+Inf' && v - (a.get(k) ?? 0) >= total) bounds.push(Number(le));
  }
  return bounds.length ? Math.min(...bounds) : Infinity;
}

export async function liveCity(ctx: BenchContext): Promise<CityResults> {
  const hub = await startBenchHub({ ...(ctx.profileDir && { cpuProfDir: ctx.profileDir }) });
  const sim = startSimulator([
    '--count', String(DEVICES), '--interval-ms', String(INTERVAL_MS), '--backfill-days', String(BACKFILL_DAYS),
    '--outages-per-hour', '0', '--stats-ms', '10000', '--mqtt', `mqtt://${hub.mqttHost}:${hub.mqttPort}`,
  ], { CITYHUB_DATA_DIR: hub.dataDir });
  try {
    const started = await sim.waitFor('started', 120_000);
    const backfilled = await sim.waitFor('backfilled', 300_000);
    const readings = backfilled.readings as number;
    await waitStored(hub, readings, 300_000);
    const storedMs = Date.now() - started.t;
    ctx.log(`city: ${readings} backfilled readings stored ${(storedMs / 1000).toFixed(1)} s after the simulator started; settling`);
    await sleep(10_000);
    const pid = hub.proc.pid!;
    const marks = [{ m: await scrape(hub), c: cpuSecondsOf(pid), t: performance.now() }];
    for (let i = 0; i < WINDOWS; i++) {
      await sleep(WINDOW_MS);
      const c = cpuSecondsOf(pid), t = performance.now();
      marks.push({ m: await scrape(hub), c, t });
    }
    const windows = marks.slice(1).map((b, i) => cityWindow(marks[i]!, b));
    const window = cityWindow(marks[0]!, marks.at(-1)!);
    const corePercent = figure(windows.map((w) => w.corePercent));
    ctx.log(`city: the store on the ${marks.at(-1)!.m.get('cityhub_store_own_thread') === 1 ? 'thread of its own' : 'acknowledging thread'}; ${corePercent.median.toFixed(1)} % of a core (windows ${windows.map((w) => w.corePercent.toFixed(1)).join(', ')}), ${window.readings} readings ` +
      `(${window.cpuMsPerReading.toFixed(2)} ms CPU each), ${window.spoolWritesPerS?.toFixed(1)} spool writes/s, ${window.transactionsPerS.toFixed(2)} store transactions/s, ` +
      `delay mean ${window.queryableDelayMeanS?.toFixed(2) ?? '?'} s, max ≤ ${window.queryableDelayMaxS ?? '?'} s; load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    return {
      devices: DEVICES, intervalMs: INTERVAL_MS, backfill: { readings, publishMs: backfilled.ms as number, storedMs }, window, windows,
      corePercent, cpuMsPerReading: figure(windows.map((w) => w.cpuMsPerReading)),
      hubRssMb: hub.rss().rss / 1048576, storeThread: marks.at(-1)!.m.get('cityhub_store_own_thread') === 1 ? 'own' : 'main', loadAverage: loadavg(),
    };
  } finally {
    await sim.stop();
    await hub.stop();
  }
}

interface Mark { m: Map<string, number>; c: number; t: number }

/** What the hub spent between two marks: CPU, readings stored, transactions and delays from /metrics. */
function cityWindow(a: Mark, b: Mark): CityWindow {
  const seconds = (b.t - a.t) / 1000;
  const d = (name: string) => (b.m.get(name) ?? 0) - (a.m.get(name) ?? 0);
  const stored = d('cityhub_store_points_written_total');
  const rounds = d('cityhub_store_queryable_delay_seconds_count');
  const cpu = b.c - a.c;
  return {
    seconds, cpuSeconds: cpu, corePercent: (cpu / seconds) * 100, readings: stored, cpuMsPerReading: stored ? (cpu * 1000) / stored : NaN,
    transactionsPerS: d('cityhub_store_write_transactions_total') / seconds,
    spoolWritesPerS: d('cityhub_spool_fsyncs_total') / seconds,
    queryableDelayMeanS: rounds ? d('cityhub_store_queryable_delay_seconds_sum') / rounds : null,
    queryableDelayMaxS: maxDelay(a.m, b.m),
  };
}
