/**
 * Step 3: publish → /api/v1/live latency, p50/p95/p99, at 2,000 readings/s and at 80 % of the durable
 * ingest rate measured in step 2. The generator stamps each reading's ts with its send time; a listener in
 * another process subtracts it from the arrival time of the same reading on the WebSocket.
 */
import { left, type BenchContext } from '../lib/context.js';
import { assetIds, NO_PUBLISH_LIMIT, provision, startBenchHub } from '../lib/hub.js';
import { ask, forkTs, sleep, stopChild, waitMessage } from '../lib/procs.js';
import { figure, percentiles, type Figure } from '../lib/stats.js';
import { generate, LOAD } from './relay.js';

export interface LatencyAtRate {
  rate: number;
  p50: Figure;
  p95: Figure;
  p99: Figure;
  /** Readings published and seen on the live stream per run (the stream coalesces for a slow client). */
  sent: number[];
  seen: number[];
}

export interface LatencyResults { rates: LatencyAtRate[]; runMs: number }

const RUN_MS = 6_000;
const WARMUP_MS = 1_500;

export async function latency(ctx: BenchContext, maxIngest: number | undefined): Promise<LatencyResults> {
  const rates = [2_000, ...(maxIngest && Number.isFinite(maxIngest) ? [Math.round(maxIngest * 0.8)] : [])];
  if (!maxIngest) ctx.log('latency: no durable ingest rate from step 2; measuring at 2,000/s only');
  const hub = await startBenchHub({ env: { ...NO_PUBLISH_LIMIT }, ...(ctx.profileDir && { cpuProfDir: ctx.profileDir }) });
  const listener = forkTs('gen/live-listener.ts', [], ['--experimental-websocket', '--no-warnings']);
  try {
    const creds = await provision(hub.dataDir, 'traffic', assetIds('traffic', LOAD.publishers));
    listener.send({ type: 'start', url: `${hub.httpUrl.replace(/^http/, 'ws')}/api/v1/live?kind=traffic` });
    await waitMessage(listener, 'ready', 30_000);
    const out: LatencyAtRate[] = [];
    for (const rate of rates) {
      const p50: number[] = [], p95: number[] = [], p99: number[] = [], sent: number[] = [], seen: number[] = [];
      for (let r = 0; r < ctx.runs; r++) {
        if (r > 0 && left(ctx) < 200_000) break;
        listener.send({ type: 'mark', sampleFrom: Date.now() + WARMUP_MS });
        const gen = generate({
          host: hub.mqttHost, port: hub.mqttPort, qos: 1, window: LOAD.window, durationMs: RUN_MS, warmupMs: WARMUP_MS,
          rate, tsMode: 'now', drainMs: 10_000,
          publishers: creds.map((c) => ({ clientId: c.id, username: c.id, password: c.secret, topic: `city/traffic/${c.id}/telemetry` })),
        });
        const result = await gen;
        await sleep(300);
        const { samples, total } = await ask<{ samples: number[]; total: number }>(listener, { type: 'report' }, 30_000);
        const p = percentiles(samples);
        p50.push(p.p50);
        p95.push(p.p95);
        p99.push(p.p99);
        sent.push(result.published);
        seen.push(total);
        ctx.log(`latency at ${rate}/s run ${r + 1}: p50 ${p.p50.toFixed(1)} ms, p95 ${p.p95.toFixed(1)}, p99 ${p.p99.toFixed(1)} (${total} readings seen, ${result.throttled} throttled)`);
      }
      out.push({ rate, p50: figure(p50), p95: figure(p95), p99: figure(p99), sent, seen });
    }
    return { rates: out, runMs: RUN_MS };
  } finally {
    await stopChild(listener, 'SIGKILL');
    await hub.stop();
  }
}
