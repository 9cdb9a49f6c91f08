/**
 * Steps 7–8: a device's PUBACK latency under the loads that used to stall the hub, each side by side with
 * its baseline on the same hub. 7 (`live`): no live clients vs 2,000 WebSocket clients on /api/v1/live,
 * both while a 5,000-reading message arrives every 2 s (hub RSS reported). 8 (`auth`): nothing vs 300
 * concurrent wrong-password logins for a known device id, sustained. The probe is one device publishing one
 * reading every 50 ms at QoS 1 from this process; the crowd and the flood run in processes of their own. The probe's
 * first PUBACK of a run is left out: a device's lone message waits up to `CITYHUB_SPOOL_COMMIT_DELAY_MS` for company, by
 * design, and that is not what a busy device sees under the load.
 */
import type { BenchContext } from '../lib/context.js';
import { assetIds, NO_PUBLISH_LIMIT, provision, startBenchHub, type BenchHub, type Credentials } from '../lib/hub.js';
import { ask, forkTs, sleep } from '../lib/procs.js';
import { RawMqtt } from '../lib/raw-mqtt.js';
import { figure, percentiles, type Figure } from '../lib/stats.js';

const PROBE_MS = 8_000;
const PROBE_EVERY_MS = 50;
const BIG_EVERY_MS = 2_000;
export const LIVE_CLIENTS = 2_000;
export const FLOOD = 300;

export interface Phase { p50: Figure; p99: Figure; max: Figure; bigAckMs?: Figure; rssMb?: Figure; peakRssMb?: Figure }
export interface GuardResults {
  live?: { baseline: Phase; loaded: Phase; clients: number; open: number[]; refused: number[] };
  auth?: { baseline: Phase; flood: Phase; concurrency: number; attempts: number[]; refusals: Array<Record<string, number>>; connackP99Ms: number[] };
}

/** One probe run: PUBACK latencies of single readings, and of the 5,000-reading messages when `big` is given. */
async function probe(hub: BenchHub, dev: Credentials, big: Credentials | null, seq0: number): Promise<{ acks: number[]; bigAcks: number[]; rss: number[] }> {
  const connect = (c: Credentials) => RawMqtt.connect({ host: hub.mqttHost, port: hub.mqttPort, clientId: c.id, username: c.id, password: c.secret });
  const p = await connect(dev);
  const b = big ? await connect(big) : null;
  const sent = new Map<number, number>();
  const acks: number[] = [], bigAcks: number[] = [], rss: number[] = [];
  // The first message is lone and waits up to CITYHUB_SPOOL_COMMIT_DELAY_MS for company by design, asleep when no
  // HTTP client waits on the hub (CITYHUB_SPOOL_NAP); those sent before its PUBACK wait with it, and are left out too.
  const waitedWithFirst = new Set<number>();
  p.onPuback = (id) => {
    if (id === 1) for (const i of sent.keys()) waitedWithFirst.add(i);
    else if (!waitedWithFirst.has(id)) acks.push(performance.now() - sent.get(id)!);
  };
  const bigSent = new Map<number, number>();
  if (b) b.onPuback = (id) => bigAcks.push(performance.now() - bigSent.get(id)!);
  const topic = RawMqtt.topicPart(`city/traffic/${dev.id}/telemetry`);
  const bigTopic = big ? RawMqtt.topicPart(`city/traffic/${big.id}/telemetry`) : null;
  const t0 = Date.now();
  let id = 0;
  let bigId = 0;
  let nextBig = t0 + 500;
  while (Date.now() - t0 < PROBE_MS) {
    const now = Date.now();
    sent.set(++id, performance.now());
    p.publish(topic, Buffer.from(JSON.stringify({ ts: now - 60_000, seq: seq0 + id, speed_kmh: 30 })), 1, id);
    if (b && bigTopic && now >= nextBig) {
      nextBig += BIG_EVERY_MS;
      const base = now - 3_600_000 - seq0;
      const readings = Array.from({ length: 5_000 }, (_, i) => ({ ts: base + bigId * 5_000 + i, seq: seq0 + bigId * 5_000 + i, speed_kmh: 20 + (i % 40) }));
      bigSent.set(++bigId, performance.now());
      b.publish(bigTopic, Buffer.from(JSON.stringify(readings)), 1, bigId);
    }
    rss.push(hub.rss().rss / 2 ** 20);
    await sleep(PROBE_EVERY_MS);
  }
  await sleep(2_000);
  await p.close();
  await b?.close();
  return { acks, bigAcks, rss };
}

/** Runs `probe` `runs` times and folds the figures. */
async function phase(ctx: BenchContext, name: string, run: (r: number) => ReturnType<typeof probe>, hub: BenchHub): Promise<Phase> {
  const p50: number[] = [], p99: number[] = [], max: number[] = [], big: number[] = [], rss: number[] = [];
  for (let r = 0; r < ctx.runs; r++) {
    const res = await run(r);
    const p = percentiles(res.acks);
    p50.push(p.p50);
    p99.push(p.p99);
    max.push(p.max);
    if (res.bigAcks.length) big.push(percentiles(res.bigAcks).max);
    rss.push(Math.max(...res.rss));
    ctx.log(`${name} run ${r + 1}: PUBACK p50 ${p.p50.toFixed(1)} ms, p99 ${p.p99.toFixed(1)}, max ${p.max.toFixed(1)} (${p.n} acks)` +
      `${res.bigAcks.length ? `, 5,000-reading PUBACK max ${percentiles(res.bigAcks).max.toFixed(0)} ms` : ''}, hub RSS max ${Math.max(...res.rss).toFixed(0)} MB`);
  }
  return {
    p50: figure(p50), p99: figure(p99), max: figure(max), rssMb: figure(rss), peakRssMb: figure([hub.rss().peak / 2 ** 20]),
    ...(big.length && { bigAckMs: figure(big) }),
  };
}

export async function guardSteps(ctx: BenchContext, which: { live: boolean; auth: boolean }): Promise<GuardResults> {
  const hub = await startBenchHub({
    env: { ...NO_PUBLISH_LIMIT, CITYHUB_RATE_LIMIT_PER_MIN: '0', CITYHUB_LIVE_MAX_CLIENTS: String(LIVE_CLIENTS), CITYHUB_LIVE_MAX_CLIENTS_PER_IP: String(LIVE_CLIENTS) },
    ...(ctx.profileDir && { cpuProfDir: ctx.profileDir }),
  });
  const out: GuardResults = {};
  try {
    const [dev, big] = await provision(hub.dataDir, 'traffic', assetIds('traffic', 2), { prefix: 'bench-guard' });
    let seq = 1;
    const run = () => probe(hub, dev!, big!, (seq += 1_000_000));
    if (which.live) out.live = await livePhases(ctx, hub, run);
    if (which.auth) out.auth = await authPhases(ctx, hub, dev!, () => probe(hub, dev!, null, (seq += 1_000_000)));
  } finally {
    await hub.stop();
  }
  return out;
}

async function livePhases(ctx: BenchContext, hub: BenchHub, run: () => ReturnType<typeof probe>): Promise<GuardResults['live']> {
  const baseline = await phase(ctx, 'live: no clients', run, hub);
  const crowd = forkTs('gen/live-crowd.ts');
  const open: number[] = [], refused: number[] = [];
  try {
    const started = await ask<{ open: number; refused: string[] }>(crowd, { type: 'start', url: `${hub.httpUrl.replace(/^http/, 'ws')}/api/v1/live?kind=traffic`, n: LIVE_CLIENTS }, 120_000);
    open.push(started.open);
    refused.push(started.refused.length);
    ctx.log(`live: ${started.open} clients open, ${started.refused.length} refused`);
    const loaded = await phase(ctx, `live: ${LIVE_CLIENTS} clients`, run, hub);
    const seen = await ask<{ frames: number; readings: number; minReadings: number; closes: Record<string, number> }>(crowd, { type: 'report' }, 60_000);
    ctx.log(`live: clients received ${seen.readings} readings in ${seen.frames} frames (least per client ${seen.minReadings}); closes ${JSON.stringify(seen.closes)}`);
    return { baseline, loaded, clients: LIVE_CLIENTS, open, refused };
  } finally {
    crowd.kill('SIGKILL');
  }
}

async function authPhases(ctx: BenchContext, hub: BenchHub, dev: Credentials, run: () => ReturnType<typeof probe>): Promise<GuardResults['auth']> {
  const baseline = await phase(ctx, 'auth: no flood', run, hub);
  const attempts: number[] = [], refusals: Array<Record<string, number>> = [], connackP99Ms: number[] = [];
  const flood = await phase(ctx, `auth: ${FLOOD} concurrent wrong passwords`, async () => {
    const flooder = forkTs('gen/auth-flood.ts');
    try {
      const done = ask<{ attempts: number; refusals: Record<string, number>; connackP99Ms: number }>(flooder,
        { type: 'start', host: hub.mqttHost, port: hub.mqttPort, id: dev.id, concurrency: FLOOD, durationMs: PROBE_MS + 1_000 }, 120_000);
      await sleep(500);
      const res = await run();
      const f = await done;
      attempts.push(f.attempts);
      refusals.push(f.refusals);
      connackP99Ms.push(f.connackP99Ms);
      ctx.log(`auth: ${f.attempts} wrong-password attempts, refusals ${JSON.stringify(f.refusals)}, CONNACK p99 ${f.connackP99Ms.toFixed(1)} ms`);
      return res;
    } finally {
      flooder.kill('SIGKILL');
    }
  }, hub);
  return { baseline, flood, concurrency: FLOOD, attempts, refusals, connackP99Ms };
}
