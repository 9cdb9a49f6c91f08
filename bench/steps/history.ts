/**
 * Step 4: history queries on 30 days of the whole city. The history is written through the hub: the
 * simulator's backfill (`cityhub devices simulate --backfill-days 30`, one reading per device every 5 min,
 * arrays of up to 5,000 readings over MQTT at QoS 1) → broker → ingest → spool → writer → DuckDB, the same
 * path live readings take. Then three queries, timed through the HTTP API while the hub runs, and at the
 * store level (the Store interface on the same DuckDB file, hub stopped) side by side with InfluxDB when
 * its adapter is there (the same points copied in).
 *
 * The whole-city week is also timed over HTTP in both forms (points, columns) and three encodings, on this hub
 * and on a second hub over the InfluxDB copy (bench/steps/history-http.ts).
 *
 * Step 6 (the dashboard) runs on this hub too, while it holds the month of data.
 */
import { existsSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KINDS, METRICS } from '@cityhub/contracts';
import { loadCatalogue } from '@cityhub/contracts/catalogue';
import * as storeModule from '@cityhub/store';
import type { Point, Store } from '@cityhub/store';
import { left, type BenchContext } from '../lib/context.js';
import { startInfluxd } from '../../store/test/influxd.js';
import { getJson, startBenchHub, type BenchHub } from '../lib/hub.js';
import { cityWeekOverHttp, type WireTiming } from './history-http.js';
import { startSimulator } from '../lib/simulator.js';
import { figure, type Figure } from '../lib/stats.js';
import type { DashboardResults } from './dashboard.js';

const DAY = 86_400_000;
const DAYS = 30;
const REPS = 20;
const WARMUPS = 3;
/** The history hubs answer the bench's hundreds of requests a minute: no per-address limit. */
const HISTORY_HUB_ENV = { CITYHUB_RATE_LIMIT_PER_MIN: '0' };

export interface QueryTiming { name: string; ms: Figure; points: number }
export interface BackendTimings {
  backend: string; version?: string; queries: QueryTiming[]; loadMs?: number; note?: string;
  /** The whole-city week over HTTP from a hub on this backend, in both forms and every encoding. */
  wire?: WireTiming[];
}

export interface HistoryResults {
  /** How the month got into the store, and how fast. */
  backfill: { readings: number; devices: number; days: number; stepMin: number; publishMs: number; storedMs: number; readingsPerS: number; stored: number };
  /** Through the HTTP API, the hub running (JSON encoding included). */
  http: QueryTiming[];
  /** At the store level, hub stopped: DuckDB, and InfluxDB side by side when available. */
  store: BackendTimings[];
  path: string;
}

interface QueryDef {
  name: string;
  http: string[];
  store(s: Store): Promise<number>;
}

function queries(now: number): QueryDef[] {
  const links = loadCatalogue().features.filter((f) => f.properties.kind === 'traffic').map((f) => f.id);
  // The backfill starts 15 minutes inside the 30-day retention.
  const month = now - DAYS * DAY + 3_600_000;
  const week = now - 7 * DAY;
  const count = (r: Array<{ points: unknown[] }>) => r.reduce((n, s) => n + s.points.length, 0);
  return [
    {
      name: 'one link, 30 days at 1 h',
      http: [`/api/v1/series?asset=link-1&metric=speed_kmh&from=${month}&to=${now}&step=1h`],
      store: async (s) => count(await s.series({ assets: ['link-1'], metric: 'speed_kmh', from: month, to: now, stepS: 3600, agg: 'mean' })),
    },
    {
      name: 'whole city (178 links), 7 days at 15 min',
      http: [`/api/v1/series?kind=traffic&metric=speed_kmh&step=15m&from=${week}&to=${now}`],
      store: async (s) => count(await s.series({ assets: links, metric: 'speed_kmh', from: week, to: now, stepS: 900, agg: 'mean' })),
    },
    {
      name: 'latest of every asset (212, three kinds)',
      http: KINDS.map((k) => `/api/v1/latest?kind=${k}`),
      store: async (s) => {
        let n = 0;
        for (const k of KINDS) n += (await s.latest(k)).length;
        return n;
      },
    },
  ];
}

async function time(fn: () => Promise<number>): Promise<{ ms: Figure; points: number }> {
  let points = 0;
  for (let i = 0; i < WARMUPS; i++) points = await fn();
  const ms: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now();
    points = await fn();
    ms.push(performance.now() - t0);
  }
  return { ms: figure(ms), points };
}

async function httpPoints(hub: BenchHub, path: string): Promise<number> {
  const body = await getJson<{ series?: Array<{ points: unknown[] }>; items?: unknown[] }>(hub.httpUrl + path);
  return body.series ? body.series.reduce((n, s) => n + s.points.length, 0) : (body.items?.length ?? 0);
}

/** Readings in the store per kind, counted through the API (one bucket per day, agg=count). */
async function storedCount(hub: BenchHub, from: number, to: number): Promise<number> {
  let total = 0;
  for (const kind of KINDS) {
    const res = await getJson<{ series: Array<{ points: Array<[string, number]> }> }>(
      `${hub.httpUrl}/api/v1/series?kind=${kind}&metric=${METRICS[kind][0]}&step=1d&agg=count&from=${from}&to=${to}`);
    total += res.series.reduce((n, s) => n + s.points.reduce((a, p) => a + p[1], 0), 0);
  }
  return total;
}

function duckDbFile(dataDir: string): string {
  const named = join(dataDir, 'cityhub.duckdb');
  if (existsSync(named)) return named;
  const any = readdirSync(dataDir).find((f) => f.endsWith('.duckdb'));
  if (!any) throw new Error(`no DuckDB file in ${dataDir}`);
  return join(dataDir, any);
}

/** The store factory of the InfluxDB adapter, if @cityhub/store exports it yet. */
type InfluxFactory = (o: { url: string; bucket: string }) => Store;
function influxFactory(): InfluxFactory | undefined {
  const f = (storeModule as Record<string, unknown>).createInfluxStore;
  return typeof f === 'function' ? (f as InfluxFactory) : undefined;
}

/**
 * Copies from one store into another what the three queries read: link-1's month, every link's last week,
 * and every other asset's last day (for `latest`), one asset at a time. Copying the whole month of the city
 * through the InfluxDB adapter takes minutes, more than the bench may spend.
 */
async function copyForQueries(from: Store, to: Store, now: number, deadline: number): Promise<{ points: number; complete: boolean }> {
  let points = 0;
  for (const f of loadCatalogue().features) {
    if (Date.now() > deadline) return { points, complete: false };
    const kind = f.properties.kind;
    const t0 = f.id === 'link-1' ? now - (DAYS + 1) * DAY : kind === 'traffic' ? now - 8 * DAY : now - DAY;
    const byTs = new Map<number, Point>();
    const latest = (await from.latest(kind)).find((l) => l.asset === f.id);
    const device = latest?.device ?? `sim-${f.id}`;
    for (const metric of METRICS[kind]) {
      for (const s of await from.series({ assets: [f.id], metric, from: t0, to: now + DAY })) {
        for (const [ts, v] of s.points) {
          let p = byTs.get(ts);
          if (!p) byTs.set(ts, (p = { kind, asset: f.id, device, ts, seq: 0, values: {} }));
          p.values[metric] = v;
        }
      }
    }
    const list = [...byTs.values()];
    for (let i = 0; i < list.length; i += 5_000) await to.write(list.slice(i, i + 5_000));
    points += list.length;
  }
  return { points, complete: true };
}

/** The simulator's backfill of `days` over MQTT: its events, and how many readings the hub acknowledged. */
async function backfill(ctx: BenchContext, hub: BenchHub, days: number, stepMs: number) {
  const sim = startSimulator([
    '--count', '212', '--interval-ms', '60000', '--backfill-days', String(days), '--backfill-step-ms', String(stepMs),
    '--backfill-inflight', '8', '--outages-per-hour', '0', '--stats-ms', '5000', '--mqtt', `mqtt://${hub.mqttHost}:${hub.mqttPort}`,
  ], { CITYHUB_DATA_DIR: hub.dataDir });
  let startedEv, backfilled, stoppedEv;
  try {
    startedEv = await sim.waitFor('started', 120_000);
    backfilled = await sim.waitFor('backfilled', Math.max(60_000, left(ctx) - 240_000));
  } finally {
    stoppedEv = await sim.stop();
  }
  const expected = (backfilled.readings as number) + ((stoppedEv?.acked as number | undefined) ?? 0);
  ctx.log(`backfill: ${String(backfilled.readings)} readings of ${String(backfilled.devices)} devices published in ${((backfilled.ms as number) / 1000).toFixed(1)} s; waiting for the store`);
  return { startedEv, backfilled, expected };
}

/** The writer drains the spool into DuckDB: waits until every acknowledged reading is countable (or 30 s without change). */
async function waitStored(ctx: BenchContext, hub: BenchHub, expected: number): Promise<number> {
  const now = Date.now();
  let stored = 0;
  let lastChange = Date.now();
  while (Date.now() - lastChange < 30_000 && left(ctx) > 60_000) {
    const n = await storedCount(hub, now - (DAYS + 1) * DAY, now + DAY);
    if (n !== stored) lastChange = Date.now();
    stored = n;
    if (stored >= expected) break;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  return stored;
}

/** Each query through the HTTP API. */
async function httpTimings(ctx: BenchContext, hub: BenchHub, qs: ReturnType<typeof queries>): Promise<QueryTiming[]> {
  const http: QueryTiming[] = [];
  for (const q of qs) {
    const t = await time(async () => {
      let n = 0;
      for (const p of q.http) n += await httpPoints(hub, p);
      return n;
    });
    http.push({ name: q.name, ...t });
    ctx.log(`http ${q.name}: median ${t.ms.median.toFixed(1)} ms (${t.points} points)`);
  }
  return http;
}

/** Each query straight on a store. */
async function storeQueryTimings(store: Store, qs: ReturnType<typeof queries>): Promise<QueryTiming[]> {
  const timings: QueryTiming[] = [];
  for (const q of qs) timings.push({ name: q.name, ...(await time(() => q.store(store))) });
  return timings;
}

/** Each query on the InfluxDB adapter, over a private influxd loaded from DuckDB with what the queries read. */
async function influxTimings(ctx: BenchContext, duck: Store, qs: ReturnType<typeof queries>): Promise<BackendTimings> {
  const influx = influxFactory();
  if (!influx) {
    return { backend: 'influxdb', queries: [], note: 'skipped: @cityhub/store does not export createInfluxStore yet (the hook is influxFactory() in bench/steps/history.ts)' };
  }
  if (left(ctx) < 180_000) return { backend: 'influxdb', queries: [], note: 'skipped: not enough of the time budget left' };
  const server = await startInfluxd();
  const version = (await fetch(`${server.url}/ping`)).headers.get('x-influxdb-version') ?? 'unknown';
  try {
    const store = influx({ url: server.url, bucket: 'cityhub' });
    await store.init();
    const t0 = performance.now();
    const copied = await copyForQueries(duck, store, Date.now(), Date.now() + Math.min(120_000, left(ctx) - 120_000));
    const loadMs = performance.now() - t0;
    ctx.log(`influxdb: loaded ${copied.points} readings (what the queries read) in ${(loadMs / 1000).toFixed(1)} s${copied.complete ? '' : ' (time cap reached: partial)'}`);
    const timings = await storeQueryTimings(store, qs);
    await store.close();
    ctx.log(`influxdb store: ${timings.map((t) => `${t.name} ${t.ms.median.toFixed(1)} ms`).join('; ')}`);
    const hub = await startBenchHub({ env: { ...HISTORY_HUB_ENV, CITYHUB_STORE: 'influxdb', INFLUX_URL: server.url, INFLUX_BUCKET: 'cityhub' } });
    let wire: WireTiming[];
    try {
      wire = await cityWeekOverHttp('influxdb', hub.httpUrl, Date.now(), (m) => ctx.log(m));
    } finally {
      await hub.stop();
    }
    return {
      backend: 'influxdb', version, queries: timings, loadMs, wire,
      note: `${copied.points} readings copied from DuckDB through the InfluxDB Store adapter (what the queries read: link-1's month, every link's last week, every other asset's last day)${copied.complete ? '' : '; time cap reached, partial'}`,
    };
  } finally {
    await server.stop();
  }
}

/** Each query on the DuckDB file the hub left, then on InfluxDB. */
async function storeTimings(ctx: BenchContext, dataDir: string, qs: ReturnType<typeof queries>, wire: WireTiming[]): Promise<BackendTimings[]> {
  const duck = storeModule.createDuckDbStore({ path: duckDbFile(dataDir) });
  await duck.init();
  try {
    const timings = await storeQueryTimings(duck, qs);
    ctx.log(`duckdb store: ${timings.map((t) => `${t.name} ${t.ms.median.toFixed(1)} ms`).join('; ')}`);
    return [{ backend: 'duckdb', queries: timings, wire }, await influxTimings(ctx, duck, qs)];
  } finally {
    await duck.close();
  }
}

export async function historyAndDashboard(ctx: BenchContext, o: {
  history: boolean;
  stepMin: number;
  dashboard: ((ctx: BenchContext, hub: BenchHub) => Promise<DashboardResults>) | null;
}): Promise<{ history?: HistoryResults; dashboard?: DashboardResults }> {
  const STEP_MS = o.stepMin * 60_000;
  const hub = await startBenchHub({ env: HISTORY_HUB_ENV, ...(ctx.profileDir && { cpuProfDir: ctx.profileDir }) });
  let stopped = false;
  try {
    const days = o.history ? DAYS : 1;
    const { startedEv, backfilled, expected } = await backfill(ctx, hub, days, STEP_MS);
    const stored = await waitStored(ctx, hub, expected);
    const storedMs = Date.now() - startedEv.t;
    ctx.log(`store holds ${stored} of ${expected} readings, ${(storedMs / 1000).toFixed(1)} s after the simulator started`);

    const qs = queries(Date.now());
    const http = o.history ? await httpTimings(ctx, hub, qs) : [];
    const wire = o.history ? await cityWeekOverHttp('duckdb', hub.httpUrl, Date.now(), (m) => ctx.log(m)) : [];
    const dash = o.dashboard ? await o.dashboard(ctx, hub) : undefined;

    await hub.stop({ keepData: true });
    stopped = true;
    let history: HistoryResults | undefined;
    if (o.history) {
      const readings = backfilled.readings as number;
      history = {
        backfill: {
          readings, devices: backfilled.devices as number, days, stepMin: STEP_MS / 60_000,
          publishMs: backfilled.ms as number, storedMs, readingsPerS: readings / (storedMs / 1000), stored,
        },
        http,
        store: await storeTimings(ctx, hub.dataDir, qs, wire),
        path: 'simulator backfill over MQTT (arrays of ≤ 5,000 readings, QoS 1) → hub broker → ingest → spool → writer → DuckDB',
      };
    }
    return { ...(history && { history }), ...(dash && { dashboard: dash }) };
  } finally {
    if (!stopped) await hub.stop({ keepData: true });
    await rm(hub.dataDir, { recursive: true, force: true });
  }
}
