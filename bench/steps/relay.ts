/**
 * Step 1 and 2 side by side: the raw MQTT relay rate of aedes alone and of mosquitto (QoS 0 and 1, one
 * subscriber on city/# counting), and the hub's durable ingest rate (QoS 1 PUBACKs/s, each a reading on
 * disk), measured in alternation in the same run so that their ratio compares like with like.
 */
import type { ChildProcess } from 'node:child_process';
import { findMosquitto, startAedes, startMosquitto, type RunningBroker } from '../lib/brokers.js';
import { left, type BenchContext } from '../lib/context.js';
import type { GenJob, GenResult, SubscriberStop } from '../lib/gen-protocol.js';
import { assetIds, getJson, NO_PUBLISH_LIMIT, provision, startBenchHub, storeThread } from '../lib/hub.js';
import { ask, cpuSecondsOf, forkTs, waitMessage } from '../lib/procs.js';
import { figure, type Figure } from '../lib/stats.js';

/**
 * The load: publisher connections, unacknowledged messages per connection, run length. BENCH_PUBLISHERS,
 * BENCH_WINDOW and BENCH_RUN_S change them (for exploring what limits a rate, or how a longer flood fares; the
 * results record them). The acceptance figures are from the defaults.
 */
export const LOAD = {
  publishers: Number(process.env.BENCH_PUBLISHERS ?? 20),
  window: Number(process.env.BENCH_WINDOW ?? 50),
  durationMs: Number(process.env.BENCH_RUN_S ?? 6) * 1000,
  warmupMs: 1_500,
} as const;

/**
 * How long before a hub run starts its readings are timed (each device's readings 1 ms apart from there).
 * `live`: 30 s, as current readings are: after the store's fold line (rollups are folded 2 min behind the
 * clock), so each is appended and folded into its rollups a minute later, and even the last one of the run is
 * not ahead of the clock. `backfill`: 10 min, as readings a fleet uploads after an outage are: every one is late,
 * so each write also re-opens the rollup buckets and the latest values it touches. The acceptance figures are the
 * live ones; one backfill run follows, for what a backfill costs.
 */
export const READING_AGE_MS = { live: 30_000, backfill: 600_000 } as const;

export async function generate(job: GenJob): Promise<GenResult> {
  const child: ChildProcess = forkTs('gen/generator.ts');
  return ask<GenResult>(child, job, job.durationMs + job.drainMs + 120_000);
}

/**
 * One relay run: a subscriber process on city/# and a publisher process, both against `broker`. The rate
 * is what the subscriber received within the publishers' counted window; lost is what was published
 * (QoS 0) or acknowledged (QoS 1) and never arrived.
 */
async function relayOnce(broker: RunningBroker, qos: 0 | 1): Promise<{ rate: number; coldRate: number; lost: number; cpuUsPerMessage: number; result: GenResult }> {
  const base = { host: '127.0.0.1', port: broker.port, qos, window: LOAD.window, durationMs: LOAD.durationMs, warmupMs: LOAD.warmupMs, tsMode: 'seq', drainMs: 10_000 } as const;
  const subProc = forkTs('gen/generator.ts');
  const subResult = ask<GenResult>(subProc, { ...base, publishers: [], subscriber: { clientId: 'bench-sub', filter: 'city/#', qos } }, 180_000);
  await waitMessage(subProc, 'ready', 30_000);
  const cpu0 = cpuSecondsOf(broker.proc.pid!);
  const result = await generate({
    ...base,
    publishers: Array.from({ length: LOAD.publishers }, (_, i) => ({ clientId: `bench-pub-${i + 1}`, topic: `city/traffic/bench-pub-${i + 1}/telemetry` })),
  });
  const sent = qos === 1 ? result.acked : result.published;
  subProc.send({ type: 'stop', expect: sent, timeoutMs: 30_000 } satisfies SubscriberStop);
  const sub = await subResult;
  // The broker's CPU (all its threads) over the whole run, warm-up included, until the subscriber had every message
  // (deliveries may trail the publishers' acknowledgements), per message it took.
  const cpuUsPerMessage = ((cpuSecondsOf(broker.proc.pid!) - cpu0) * 1e6) / sent;
  const { start, end } = result.windowEpoch;
  let inWindow = 0;
  sub.buckets.forEach((n, i) => {
    const t = sub.bucketBase + i * 100;
    if (t >= start && t + 100 <= end) inWindow += n;
  });
  const seconds = (Math.floor((end - sub.bucketBase) / 100) - Math.ceil((start - sub.bucketBase) / 100)) / 10;
  // From a cold broker: every message sent, over the time from the first publish until the subscriber had the last one.
  const coldRate = sub.received / ((sub.lastEpoch - result.startEpoch) / 1000);
  return { rate: inWindow / seconds, coldRate, lost: sent - sub.received, cpuUsPerMessage, result };
}

export interface IngestRun {
  /** PUBACKs per second (each a durable reading). */
  rate: number;
  acked: number;
  /** Readings found in the store afterwards (through /api/v1/series, agg=count). */
  stored: number;
  hubRssMb: number;
  verifyMs: number;
  /**
   * Readings acknowledged and queryable per second, sustained: the readings acknowledged from the end of the
   * warm-up on, over the time from then until the store counted every reading, the warm-up's too (rollups
   * included: the count is read from the 1 h rollup, every 50 ms once the publishers are done). The relay's rate
   * it is compared with is counted after the same warm-up. Null when some never arrived.
   */
  sustainedRate: number | null;
  /** The same from a cold hub: every reading, over the time from the first publish until the store counted the last; null when some never arrived. */
  coldSustainedRate: number | null;
  /**
   * The hub's CPU (all its threads: acknowledging, spool, store, rollups, garbage collection) from the first publish
   * until the store counted the last reading, per reading acknowledged: µs. NaN when some never arrived.
   */
  cpuUsPerReading: number;
  /** Where the store ran once every reading was stored: by default it moves once readings come fast or the writer falls behind. */
  storeThread?: 'main' | 'own';
}

/** One run of the hub's durable ingest: a fresh hub and data dir, QoS 1 readings as 20 provisioned devices. */
async function ingestOnce(ctx: BenchContext, age: keyof typeof READING_AGE_MS): Promise<IngestRun> {
  const links = assetIds('traffic', LOAD.publishers);
  const hub = await startBenchHub({ env: { ...NO_PUBLISH_LIMIT }, ...(ctx.profileDir && { cpuProfDir: ctx.profileDir }) });
  try {
    const creds = await provision(hub.dataDir, 'traffic', links);
    const cpu0 = cpuSecondsOf(hub.proc.pid!);
    const result = await generate({
      host: hub.mqttHost, port: hub.mqttPort, qos: 1, window: LOAD.window, durationMs: LOAD.durationMs, warmupMs: LOAD.warmupMs,
      tsMode: 'seq', seqAgoMs: READING_AGE_MS[age], drainMs: 15_000,
      publishers: creds.map((c) => ({ clientId: c.id, username: c.id, password: c.secret, topic: `city/traffic/${c.id}/telemetry` })),
    });
    const rss = hub.rss();
    // Every acknowledged reading must reach the store: count them through the API until the writer is done.
    const t0 = Date.now();
    const from = Date.now() - 3 * 3_600_000;
    const to = Date.now() + 3_600_000;
    let stored = 0;
    let lastChange = Date.now();
    let storedAt = Date.now();
    let cpuAtStored = NaN;
    const unique = [...new Set(links)];
    while (Date.now() - t0 < 120_000) {
      let n = 0;
      // The API serves at most 50 assets per request.
      for (let i = 0; i < unique.length; i += 50) {
        const res = await getJson<{ series: Array<{ points: Array<[string, number]> }> }>(
          `${hub.httpUrl}/api/v1/series?asset=${unique.slice(i, i + 50).join(',')}&metric=speed_kmh&from=${from}&to=${to}&step=1h&agg=count`);
        n += res.series.reduce((s, x) => s + x.points.reduce((a, p) => a + p[1], 0), 0);
      }
      if (n !== stored) lastChange = Date.now();
      stored = n;
      storedAt = Date.now();
      cpuAtStored = cpuSecondsOf(hub.proc.pid!);
      if (stored >= result.acked || Date.now() - lastChange > 20_000) break;
      // Counted every 50 ms: the time to the last reading queryable is then over-stated by at most that, plus a query.
      await new Promise((r) => setTimeout(r, 50));
    }
    const all = stored >= result.acked;
    return {
      rate: result.window.acked / result.window.seconds, acked: result.acked, stored, hubRssMb: rss.peak / 1048576, verifyMs: Date.now() - t0,
      sustainedRate: all ? (result.acked - result.atWindowStart.acked) / ((storedAt - result.windowEpoch.start) / 1000) : null,
      coldSustainedRate: all ? result.acked / ((storedAt - result.startEpoch) / 1000) : null,
      cpuUsPerReading: all ? ((cpuAtStored - cpu0) * 1e6) / result.acked : NaN,
      storeThread: await storeThread(hub),
    };
  } finally {
    await hub.stop();
  }
}

export interface RelayResults {
  aedes: {
    version: string; qos0: Figure; qos1: Figure; lost0: number[]; lost1: number[];
    /** QoS 1 from a cold broker: every message, over the time from the first publish until the subscriber had the last. */
    qos1Cold: Figure;
    /** The aedes process's CPU per QoS 1 message relayed (µs; the publisher and subscriber processes not counted). */
    qos1CpuUsPerMessage: Figure;
  };
  mosquitto: { version: string; qos0: Figure; qos1: Figure; lost0: number[]; lost1: number[] } | { skipped: string };
  ingest: {
    rate: Figure; runs: IngestRun[]; ratioToAedesQos1: Figure; missing: number[];
    /**
     * One run of readings timed 10 min back (READING_AGE_MS.backfill), after the live runs, with its ratios to the
     * last run's aedes QoS 1 relay; null when the time budget left none.
     */
    backfill: (IngestRun & { ratioToAedesQos1: number; sustainedRatioToAedesQos1: number | null; coldSustainedRatioToAedesQos1: number | null }) | null;
    /** Sustained acknowledged-and-queryable rate over the aedes QoS 1 relay of the same run, both after the warm-up (runs with every reading stored). */
    sustainedRatioToAedesQos1: Figure | null;
    /** The same, both from cold: the hub's and the relay's rates from the first publish until the last reading queryable or relayed. */
    coldSustainedRatioToAedesQos1: Figure | null;
    /** The hub's CPU per reading, acknowledged through queryable (µs), over runs with every reading stored. */
    cpuUsPerReading: Figure | null;
    /** That CPU over the aedes process's CPU per QoS 1 message in the same run: what durability and storage cost. */
    cpuRatioToAedesQos1: Figure | null;
  };
  load: typeof LOAD;
}

/** The backfill run, after the live ones, with its ratios to the last aedes QoS 1 relay run; null without one or without time. */
async function backfillOnce(ctx: BenchContext, lastRelay: number | undefined, lastCold: number | undefined): Promise<RelayResults['ingest']['backfill']> {
  if (lastRelay === undefined || lastCold === undefined || left(ctx) < 180_000) {
    ctx.log('relay/ingest: no backfill run, to stay within the time budget');
    return null;
  }
  const run = await ingestOnce(ctx, 'backfill');
  const ratio = run.rate / lastRelay;
  ctx.log(`backfill (readings 10 min old): hub durable ${run.rate.toFixed(0)}/s (${ratio.toFixed(2)}×), stored ${run.stored}/${run.acked}, ` +
    `sustained end to end ${run.sustainedRate?.toFixed(0) ?? '–'}/s, from cold ${run.coldSustainedRate?.toFixed(0) ?? '–'}/s (${run.cpuUsPerReading.toFixed(1)} µs CPU/reading)`);
  return {
    ...run, ratioToAedesQos1: ratio, sustainedRatioToAedesQos1: run.sustainedRate === null ? null : run.sustainedRate / lastRelay,
    coldSustainedRatioToAedesQos1: run.coldSustainedRate === null ? null : run.coldSustainedRate / lastCold,
  };
}

export async function relayAndIngest(ctx: BenchContext): Promise<RelayResults> {
  const mosquittoBin = findMosquitto();
  const a0: number[] = [], a1: number[] = [], a1cold: number[] = [], al0: number[] = [], al1: number[] = [];
  const m0: number[] = [], m1: number[] = [], ml0: number[] = [], ml1: number[] = [];
  const ingest: IngestRun[] = [];
  const ratios: number[] = [];
  const sustained: number[] = [], coldSustained: number[] = [];
  const aedesCpu: number[] = [], hubCpu: number[] = [], cpuRatios: number[] = [];
  let aedesVersion = 'unknown';
  let mosqVersion = 'unknown';
  for (let r = 0; r < ctx.runs; r++) {
    if (r > 0 && left(ctx) < 300_000) {
      ctx.log(`relay/ingest: stopping after ${r} runs to stay within the time budget`);
      break;
    }
    const aedes = await startAedes();
    aedesVersion = aedes.version;
    try {
      const q0 = await relayOnce(aedes, 0);
      a0.push(q0.rate);
      al0.push(q0.lost);
    } finally {
      await aedes.stop();
    }
    const aedes1 = await startAedes();
    let q1rate: number;
    let q1cpu: number;
    try {
      const q1 = await relayOnce(aedes1, 1);
      q1rate = q1.rate;
      q1cpu = q1.cpuUsPerMessage;
      aedesCpu.push(q1cpu);
      a1.push(q1.rate);
      a1cold.push(q1.coldRate);
      al1.push(q1.lost);
    } finally {
      await aedes1.stop();
    }
    const run = await ingestOnce(ctx, 'live');
    ingest.push(run);
    ratios.push(run.rate / q1rate);
    if (run.sustainedRate !== null) sustained.push(run.sustainedRate / q1rate);
    if (run.coldSustainedRate !== null) coldSustained.push(run.coldSustainedRate / a1cold.at(-1)!);
    if (Number.isFinite(run.cpuUsPerReading)) {
      hubCpu.push(run.cpuUsPerReading);
      cpuRatios.push(run.cpuUsPerReading / q1cpu);
    }
    ctx.log(`run ${r + 1}: aedes q0 ${a0.at(-1)!.toFixed(0)}/s, q1 ${q1rate.toFixed(0)}/s, from cold ${a1cold.at(-1)!.toFixed(0)}/s (${q1cpu.toFixed(1)} µs CPU/msg); ` +
      `hub durable ${run.rate.toFixed(0)}/s (${(run.rate / q1rate).toFixed(2)}×), stored ${run.stored}/${run.acked}, ` +
      `sustained end to end ${run.sustainedRate?.toFixed(0) ?? '–'}/s, from cold ${run.coldSustainedRate?.toFixed(0) ?? '–'}/s (${run.cpuUsPerReading.toFixed(1)} µs CPU/reading)`);
    if (mosquittoBin) {
      for (const qos of [0, 1] as const) {
        const m = await startMosquitto(mosquittoBin);
        mosqVersion = m.version;
        try {
          const res = await relayOnce(m, qos);
          (qos ? m1 : m0).push(res.rate);
          (qos ? ml1 : ml0).push(res.lost);
        } finally {
          await m.stop();
        }
      }
      ctx.log(`run ${r + 1}: mosquitto q0 ${m0.at(-1)!.toFixed(0)}/s, q1 ${m1.at(-1)!.toFixed(0)}/s`);
    }
  }
  const backfill = await backfillOnce(ctx, a1.at(-1), a1cold.at(-1));
  return {
    aedes: { version: aedesVersion, qos0: figure(a0), qos1: figure(a1), qos1Cold: figure(a1cold), lost0: al0, lost1: al1, qos1CpuUsPerMessage: figure(aedesCpu) },
    mosquitto: mosquittoBin
      ? { version: mosqVersion, qos0: figure(m0), qos1: figure(m1), lost0: ml0, lost1: ml1 }
      : { skipped: 'mosquitto is not installed: apt-get install -y mosquitto' },
    ingest: { rate: figure(ingest.map((i) => i.rate)), runs: ingest, ratioToAedesQos1: figure(ratios), missing: ingest.map((i) => i.acked - i.stored), backfill,
      sustainedRatioToAedesQos1: sustained.length ? figure(sustained) : null,
      coldSustainedRatioToAedesQos1: coldSustained.length ? figure(coldSustained) : null,
      cpuUsPerReading: hubCpu.length ? figure(hubCpu) : null, cpuRatioToAedesQos1: cpuRatios.length ? figure(cpuRatios) : null },
    load: LOAD,
  };
}
