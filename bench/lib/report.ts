/** The bench's results file and its Markdown rendering, with the targets next to the measured figures. */
import type { ConnectionResults } from '../steps/connections.js';
import type { GuardResults } from '../steps/guard.js';
import type { CityResults, CityWindow } from '../steps/city.js';
import type { DashboardResults } from '../steps/dashboard.js';
import type { HistoryResults } from '../steps/history.js';
import type { LatencyResults } from '../steps/latency.js';
import { READING_AGE_MS, type RelayResults } from '../steps/relay.js';
import { renderRules, type RulesResults } from '../steps/rules.js';
import type { ProfileSummary } from './cpuprofile.js';
import { guardTargets, renderGuard } from './guard-report.js';
import { HUB_NODE_ARGS } from './hub.js';
import { fmt } from './stats.js';

export interface BenchResults {
  date: string;
  machine: { cpus: number; cpu: string; memGb: number; freeGb: number; os: string; node: string; loadAtStart: number; loadAtEnd?: number };
  runs: number;
  steps: {
    relay?: RelayResults;
    latency?: LatencyResults;
    history?: HistoryResults;
    connections?: ConnectionResults;
    dashboard?: DashboardResults;
    guard?: GuardResults;
    city?: CityResults;
    rules?: RulesResults;
  };
  profiles?: ProfileSummary[];
  notes: string[];
  totalS?: number;
}

export interface Target { name: string; target: string; measured: string; met: boolean | null }

/** The README's targets, each with the figure it is judged on. */
export function targets(r: BenchResults): Target[] {
  const out: Target[] = [];
  const relay = r.steps.relay;
  if (relay) {
    const ratio = relay.ingest.ratioToAedesQos1.median;
    out.push({ name: 'Durable ingest vs raw aedes QoS 1 relay', target: '≥ 0.8×', measured: `${fmt(relay.ingest.ratioToAedesQos1, 2)}× (${fmt(relay.ingest.rate)} vs ${fmt(relay.aedes.qos1)} msg/s)`, met: ratio >= 0.8 });
  }
  const at2k = r.steps.latency?.rates.find((x) => x.rate === 2_000);
  if (at2k) out.push({ name: 'p99 publish → /live at 2,000 readings/s', target: '≤ 50 ms', measured: `${fmt(at2k.p99, 1)} ms`, met: at2k.p99.median <= 50 });
  const week = r.steps.history?.http.find((q) => q.name.startsWith('whole city'));
  if (week) out.push({ name: 'Whole-city 7-day history (HTTP, median)', target: '≤ 20 ms', measured: `${fmt(week.ms, 1)} ms`, met: week.ms.median <= 20 });
  const wire = r.steps.history?.store.find((s) => s.backend === 'duckdb')?.wire?.filter((w) => w.form === 'columnar');
  const [plain, gzip] = ['identity', 'gzip'].map((e) => wire?.find((w) => w.encoding === e));
  if (plain) {
    out.push({ name: 'Whole-city 7-day history in columns (HTTP, DuckDB, median)', target: '≤ 50 ms',
      measured: `${fmt(plain.ms, 1)} ms${gzip ? `; gzip ${fmt(gzip.ms, 1)} ms` : ''}${Number.isFinite(plain.firstMs) ? `; the first, read afresh, ${plain.firstMs.toFixed(1)} ms` : ''}`, met: plain.ms.median <= 50 });
  }
  const conn = r.steps.connections;
  if (conn && conn.runs.length > 0) {
    // The highest RSS over minutes of publishing is the figure: what the machine must hold, not the first reading.
    const hub = conn.hubRssSteadyMb.median;
    const sim = conn.simRssMb.median;
    out.push({
      name: `${conn.runs[0]!.devices.toLocaleString('en-US')} devices: hub RSS (highest over ${steadyOf(conn)} of publishing)`, target: '≤ 400 MB',
      measured: `${fmt(conn.hubRssSteadyMb)} MB (${fmt(conn.hubRssMb)} MB 12 s after every device was up)`, met: hub <= 400,
    });
    out.push({ name: `${conn.runs[0]!.devices.toLocaleString('en-US')} devices: simulator RSS`, target: '≤ 400 MB', measured: `${fmt(conn.simRssMb)} MB`, met: sim <= 400 });
    if (conn.reconnectMs.runs.length > 0) {
      const back = conn.reconnectMs.median;
      out.push({ name: `${conn.runs[0]!.devices.toLocaleString('en-US')} devices back on a restarted hub`, target: '≤ 60 s', measured: `${fmt(conn.reconnectMs)} ms`, met: back <= 60_000 });
    }
  }
  const sustained = relay?.ingest.sustainedRatioToAedesQos1;
  const cold = relay?.ingest.coldSustainedRatioToAedesQos1;
  if (sustained) {
    out.push({ name: 'Sustained end-to-end ingest (acknowledged and queryable) vs raw aedes QoS 1 relay, both after the warm-up', target: '≥ 0.8×',
      measured: `${fmt(sustained, 2)}×${cold ? ` (both from cold: ${fmt(cold, 2)}×)` : ''}`, met: sustained.median >= 0.8 });
  }
  const city = r.steps.city;
  if (city) {
    out.push({ name: `Live city (${city.devices} devices, a reading per ${city.intervalMs / 1000} s): hub CPU`, target: '≤ 5 % of a core',
      measured: `${fmt(city.corePercent, 1)} % (${fmt(city.cpuMsPerReading, 2)} ms per reading)`, met: city.corePercent.median <= 5 });
  }
  const dash = r.steps.dashboard;
  if (dash) {
    const slowest = Math.max(...Object.values(dash.viewReadyMs).map((f) => f.median));
    out.push({ name: 'Dashboard: each view\'s data ready (slowest view\'s median)', target: '≤ 500 ms', measured: `${slowest.toFixed(0)} ms`, met: slowest <= 500 });
    out.push({ name: 'Dashboard: cold deep link to a moment a day back, ready', target: '≤ 2 s', measured: `${fmt(dash.deepLinkReadyMs)} ms`, met: dash.deepLinkReadyMs.median <= 2_000 });
  }
  out.push(...guardTargets(r.steps.guard));
  return out;
}

const row = (cells: string[]) => `| ${cells.join(' | ')} |`;

/** The section `## 1–2. MQTT relay and durable ingest`, when the step ran. */
function relaySection(lines: string[], r: BenchResults): void {
  const relay = r.steps.relay;
  if (relay) {
    lines.push('## 1–2. MQTT relay and durable ingest', '',
      `${relay.load.publishers} publisher connections, ≤ ${relay.load.window} unacknowledged messages each, 149-byte JSON readings, ` +
      `${relay.load.durationMs / 1000} s runs counted after a ${relay.load.warmupMs / 1000} s warm-up; the generator runs in its own process. ` +
      'Relay: one subscriber on `city/#` (a process of its own) counts what the broker delivers. Hub: PUBACKs/s, each a reading fsynced to the spool, ' +
      'then counted in the store; its per-device publish limit (50/s by default) is lifted for steps 2 and 3.', '',
      row(['', 'QoS 0 msg/s', 'QoS 1 msg/s', 'lost']), row(['---', '---', '---', '---']));
    lines.push(row([`aedes ${relay.aedes.version} alone`, fmt(relay.aedes.qos0), fmt(relay.aedes.qos1), `${relay.aedes.lost0.join('/')} · ${relay.aedes.lost1.join('/')}`]));
    if ('skipped' in relay.mosquitto) lines.push(row(['mosquitto', relay.mosquitto.skipped, '', '']));
    else lines.push(row([`mosquitto ${relay.mosquitto.version}`, fmt(relay.mosquitto.qos0), fmt(relay.mosquitto.qos1), `${relay.mosquitto.lost0.join('/')} · ${relay.mosquitto.lost1.join('/')}`]));
    lines.push(row(['City Hub durable ingest', '–', fmt(relay.ingest.rate), `missing from store: ${relay.ingest.missing.join('/')}`]));
    lines.push('', `Durable ingest / aedes QoS 1 relay, per paired run: ${relay.ingest.ratioToAedesQos1.runs.map((x) => x.toFixed(2)).join(', ')} (median ${fmt(relay.ingest.ratioToAedesQos1, 2)}). ` +
      `Hub peak RSS during ingest: ${relay.ingest.runs.map((x) => x.hubRssMb.toFixed(0)).join('/')} MB. ` +
      `Sustained end to end (the readings acknowledged after the warm-up, over the time from then until every reading was queryable, rollups included), ` +
      `per run: ${relay.ingest.runs.map((x) => x.sustainedRate?.toFixed(0) ?? '–').join(', ')} readings/s ` +
      `(${relay.ingest.sustainedRatioToAedesQos1 ? fmt(relay.ingest.sustainedRatioToAedesQos1, 2) : '–'}× the aedes QoS 1 relay, counted after the same warm-up). ` +
      `From cold (every reading, from the first publish until the last was queryable): ${relay.ingest.runs.map((x) => x.coldSustainedRate?.toFixed(0) ?? '–').join(', ')} readings/s ` +
      `(${relay.ingest.coldSustainedRatioToAedesQos1 ? fmt(relay.ingest.coldSustainedRatioToAedesQos1, 2) : '–'}× the relay from cold, ` +
      `every message from the first publish until the subscriber had the last: ${fmt(relay.aedes.qos1Cold)} msg/s). ` +
      `Readings are timed from ${READING_AGE_MS.live / 1000} s before the run, as current readings are. ` +
      `The store ran on the ${threadsOf(relay.ingest.runs.map((x) => x.storeThread))} at the end of each run.`, '');
    const bf = relay.ingest.backfill;
    lines.push(bf
      ? `Backfill, one run of readings timed from ${READING_AGE_MS.backfill / 60_000} min back (each late, so each write also re-opens its rollup buckets and latest values): ` +
        `durable ${bf.rate.toFixed(0)} readings/s (${bf.ratioToAedesQos1.toFixed(2)}× the last relay run), end to end ${bf.sustainedRate?.toFixed(0) ?? '–'}/s ` +
        `(${bf.sustainedRatioToAedesQos1?.toFixed(2) ?? '–'}×; from cold ${bf.coldSustainedRate?.toFixed(0) ?? '–'}/s, ${bf.coldSustainedRatioToAedesQos1?.toFixed(2) ?? '–'}×), missing ${bf.acked - bf.stored}, ${Number.isFinite(bf.cpuUsPerReading) ? bf.cpuUsPerReading.toFixed(1) : '–'} µs of hub CPU per reading.`
      : 'Backfill: not run (time budget).', '');
    const hubCpu = relay.ingest.cpuUsPerReading;
    lines.push(`CPU per message, all threads of the process: the aedes process ${fmt(relay.aedes.qos1CpuUsPerMessage, 1)} µs per QoS 1 message relayed ` +
      `(runs ${relay.aedes.qos1CpuUsPerMessage.runs.map((x) => x.toFixed(1)).join(', ')}); the hub ${hubCpu ? fmt(hubCpu, 1) : '–'} µs per reading from the first ` +
      `publish until the store counted the last one (acknowledging, spool, store, rollups, garbage collection and the counting queries; ` +
      `runs ${hubCpu?.runs.map((x) => x.toFixed(1)).join(', ') ?? '–'}), ${relay.ingest.cpuRatioToAedesQos1 ? fmt(relay.ingest.cpuRatioToAedesQos1, 2) : '–'}× the relay's. ` +
      'The publishers (and, for the relay, the subscriber) run in processes of their own on the same cores.', '');
  }
}

/** The section `## 3. Publish → /api/v1/live latency`, when the step ran. */
function latencySection(lines: string[], r: BenchResults): void {
  const lat = r.steps.latency;
  if (lat) {
    lines.push('## 3. Publish → /api/v1/live latency', '',
      'QoS 1 readings at a fixed rate over 20 devices; the reading\'s `ts` is its send time; a WebSocket client in another process takes arrival − ts.', '',
      row(['rate (readings/s)', 'p50 ms', 'p95 ms', 'p99 ms', 'seen / sent']), row(['---', '---', '---', '---', '---']));
    for (const x of lat.rates) lines.push(row([x.rate.toLocaleString('en-US'), fmt(x.p50, 1), fmt(x.p95, 1), fmt(x.p99, 1), x.seen.map((s, i) => `${s}/${x.sent[i]}`).join(', ')]));
    lines.push('');
  }
}

/** The whole-city week over HTTP, per form and encoding, each backend side by side. */
function wireTable(lines: string[], store: NonNullable<BenchResults['steps']['history']>['store']): void {
  const backends = store.filter((s) => s.wire?.length);
  if (backends.length === 0) return;
  lines.push('', 'Whole city (every road link), 7 days at 15 min over HTTP, from request to parsed JSON (decompression included); ' +
    '`points`: `[ISO time, value]` per point; `columnar`: bucket times once, a rounded value array per asset. Median of up to 20 (min–max) after 3 warm-ups, the first request alone ' +
    '(on DuckDB the first in columns reads every bucket; later ones read only those after the read cut, the rest kept from it), bytes on the wire.', '',
  row(['form', 'encoding', ...backends.flatMap((b) => [`${b.backend} ms`, `${b.backend} first ms`, `${b.backend} KiB`])]), row(['---', '---', ...backends.flatMap(() => ['---', '---', '---'])]));
  for (const w of backends[0]!.wire!) {
    lines.push(row([w.form, w.encoding, ...backends.flatMap((b) => {
      const t = b.wire!.find((x) => x.form === w.form && x.encoding === w.encoding);
      return t ? [fmt(t.ms, 1), Number.isFinite(t.firstMs) ? t.firstMs.toFixed(1) : '–', (t.bytes / 1024).toFixed(0)] : ['n/a', 'n/a', 'n/a'];
    })]));
  }
}

/** The section `## 4. History queries`, when the step ran. */
function historySection(lines: string[], r: BenchResults): void {
  const h = r.steps.history;
  if (h) {
    const b = h.backfill;
    lines.push('## 4. History queries', '',
      `${b.readings.toLocaleString('en-US')} readings (${b.devices} assets, ${b.days} days at ${b.stepMin} min), written via ${h.path}: ` +
      `published in ${(b.publishMs / 1000).toFixed(1)} s, all ${b.stored.toLocaleString('en-US')} in the store ${(b.storedMs / 1000).toFixed(1)} s after the simulator started ` +
      `(${b.readingsPerS.toFixed(0)} readings/s end to end). Each query: median of 20 after 3 warm-ups (min–max).`, '');
    const backends = h.store.filter((s) => s.queries.length > 0);
    lines.push(row(['query', 'points', 'HTTP API (DuckDB)', ...backends.map((s) => `store: ${s.backend}${s.version ? ` ${s.version}` : ''}`)]),
      row(['---', '---', '---', ...backends.map(() => '---')]));
    for (const q of h.http) {
      lines.push(row([q.name, q.points.toLocaleString('en-US'), `${fmt(q.ms, 1)} ms`, ...backends.map((s) => {
        const t = s.queries.find((x) => x.name === q.name);
        return t ? `${fmt(t.ms, 1)} ms` : 'n/a';
      })]));
    }
    for (const s of h.store) if (s.note) lines.push('', `${s.backend}: ${s.note}`);
    wireTable(lines, h.store);
    const influx = h.store.find((s) => s.backend === 'influxdb' && s.loadMs);
    if (influx?.loadMs) lines.push('', `InfluxDB load through its Store adapter: ${(influx.loadMs / 1000).toFixed(1)} s.`);
    lines.push('');
  }
}

/** How long the 10,000-device step sampled the hub's RSS after its first reading, in words. */
function steadyOf(c: { steadyS?: number }): string {
  const s = c.steadyS ?? 60;
  return s % 60 === 0 ? `${s / 60} min` : `${(s / 60).toFixed(1)} min`;
}

/** The section `## 5. concurrent device connections`, when the step ran. */
function connectionsSection(lines: string[], r: BenchResults): void {
  const c = r.steps.connections;
  if (c && c.runs.length > 0) {
    lines.push(`## 5. ${c.runs[0]!.devices.toLocaleString('en-US')} concurrent device connections`, '',
      `One simulator process (one mqtt.js client per device, ${c.runs[0]!.devices - 212} synthetic assets), connecting 200 at a time, then publishing every 5 s. ` +
      `Median of ${c.runs.length} run(s).`, '',
      row(['all connected', 'per connection p50', 'hub RSS 12 s after', `hub RSS, highest over the next ${steadyOf(c)}`, 'simulator RSS', 'readings/s']), row(['---', '---', '---', '---', '---', '---']),
      row([`${fmt(c.allConnectedMs)} ms`, `${fmt(c.perConnectionP50Ms, 1)} ms`, `${fmt(c.hubRssMb)} MB`, `${fmt(c.hubRssSteadyMb)} MB`, `${fmt(c.simRssMb)} MB`, c.runs.map((x) => x.readingsPerS.toFixed(0)).join('/')]), '',
      `The store ran on the ${threadsOf(c.runs.map((x) => x.storeThread))} when RSS was read` +
      `${c.reconnectMs.runs.length > 0 ? `, and on the ${threadsOf(c.runs.flatMap((x) => (x.restart ? [x.restart.storeThread] : [])))} after the restart` : ''}.`, '');
    if (c.reconnectMs.runs.length > 0) {
      lines.push(`Then the hub was restarted under the connected fleet (same port and data directory; each device retries every 1–3 s): ` +
        `every device was connected again ${fmt(c.reconnectMs)} ms after the new hub listened, its RSS then ${fmt(c.restartHubRssMb)} MB.`, '');
    }
  }
}

/** The section `## 6. Dashboard in Chromium`, when the step ran. */
function dashboardSection(lines: string[], r: BenchResults): void {
  const dash = r.steps.dashboard;
  if (dash) {
    lines.push('## 6. Dashboard in Chromium (SwiftShader)', '',
      `${dash.viewport}, ${dash.links} links; times from navigation start.`, '',
      row(['first full render (map load)', 'ready (latest applied, idle)', `recolour ${dash.links} links`]), row(['---', '---', '---']),
      row([`${fmt(dash.firstRenderMs)} ms`, `${fmt(dash.readyMs)} ms`, `${fmt(dash.recolourMs)} ms`]), '');
    const views = Object.keys(dash.viewReadyMs) as (keyof typeof dash.viewReadyMs)[];
    lines.push('Each view\'s data ready, from opening its tab (median, min–max), beside the first render; a cold deep link a day back, ready from navigation start:', '',
      row(['first render', ...views, 'deep link a day back']), row(['---', ...views.map(() => '---'), '---']),
      row([`${fmt(dash.firstRenderMs)} ms`, ...views.map((v) => `${fmt(dash.viewReadyMs[v])} ms`), `${fmt(dash.deepLinkReadyMs)} ms`]), '');
  }
}

/** The section `9. A live city`, when the step ran. */
function citySection(lines: string[], r: BenchResults): void {
  const c = r.steps.city;
  if (!c) return;
  const w = c.window;
  const cells = (name: string, x: CityWindow) => row([name, `${x.corePercent.toFixed(1)} %`, String(x.readings), `${x.cpuMsPerReading.toFixed(2)} ms`,
    x.spoolWritesPerS?.toFixed(1) ?? '–', x.transactionsPerS.toFixed(2), `${x.queryableDelayMeanS?.toFixed(2) ?? '–'} s, ${x.queryableDelayMaxS ?? '–'} s`]);
  lines.push('## 9. A live city: what the hub costs', '',
    `The hub (\`cityhub start\`) with ${c.devices} devices of \`cityhub devices simulate\` in their own process, one reading each per ` +
    `${c.intervalMs / 1000} s, after a backfill of ${c.backfill.readings} readings (stored ${(c.backfill.storedMs / 1000).toFixed(0)} s after the simulator started). ` +
    `Hub CPU (user + system, /proc) over ${c.windows.length} consecutive windows of ${(w.seconds / c.windows.length).toFixed(0)} s, 10 s after the backfill was stored; ` +
    `the figure is their median (min–max): ${fmt(c.corePercent, 1)} % of a core, ${fmt(c.cpuMsPerReading, 2)} ms per reading. ` +
    `The store ran on ${c.storeThread === 'own' ? 'a thread of its own (moved there when readings came fast or the writer fell behind, or so configured)' : 'the thread that acknowledges readings'}. ` +
    `Hub RSS at the end ${c.hubRssMb.toFixed(0)} MB. Load average at the end: ${c.loadAverage.map((x) => x.toFixed(2)).join(' ')}.`, '',
    row(['window', '% of one core', 'readings stored', 'CPU per reading', 'spool writes/s', 'store transactions/s', 'acknowledged → queryable (mean, max ≤)']),
    row(['---', '---', '---', '---', '---', '---', '---']),
    ...c.windows.map((x, i) => cells(String(i + 1), x)), cells('all', w), '');
}

/** The section `CPU profiles`, when the step ran. */
function profilesSection(lines: string[], r: BenchResults): void {
  if (r.profiles?.length) {
    lines.push('## CPU profiles (node --cpu-prof of the hub)', '');
    for (const p of r.profiles) {
      lines.push(`${p.file}: ${(p.totalMs / 1000).toFixed(1)} s sampled, top self time:`, '');
      for (const f of p.top) lines.push(`- ${f.pct.toFixed(1)} % ${f.name} (${f.where})`);
      lines.push('');
    }
  }
}

export function renderMarkdown(r: BenchResults): string {
  const lines: string[] = [];
  lines.push(`# City Hub benchmark, ${r.date}`, '');
  lines.push(`${r.machine.cpus} × ${r.machine.cpu}, ${r.machine.memGb.toFixed(0)} GB, ${r.machine.os}, Node ${r.machine.node}. ` +
    `Loopback only. Every hub ran as \`node ${HUB_NODE_ARGS.join(' ')} bin/cityhub.js start\`, as \`npm start\` runs it. Each figure: median of ${r.runs} runs (min–max in brackets) unless it says otherwise; ratios are of runs made side by side. ` +
    `1-minute load average ${r.machine.loadAtStart.toFixed(1)} at the start, ${r.machine.loadAtEnd?.toFixed(1) ?? '?'} at the end ` +
    '(other work on the machine slows every figure; the side-by-side ratios are the ones to compare).', '');

  lines.push('## Targets', '', row(['', 'target', 'measured', 'met']), row(['---', '---', '---', '---']));
  for (const t of targets(r)) lines.push(row([t.name, t.target, t.measured, t.met === null ? '–' : t.met ? 'yes' : '**no**']));
  lines.push('');

  for (const section of [relaySection, latencySection, historySection, connectionsSection, dashboardSection, citySection]) section(lines, r);
  lines.push(...renderGuard(r.steps.guard));
  lines.push(...renderRules(r.steps.rules));
  profilesSection(lines, r);
  if (r.notes.length) lines.push('## Notes', '', ...r.notes.map((n) => `- ${n.replace(/\n/g, ' ')}`), '');
  if (r.totalS) lines.push(`Bench wall time: ${r.totalS.toFixed(0)} s.`, '');
  return lines.join('\n');
}

/** Where the store ran in each run, said once when they agree (older results have no such field). */
function threadsOf(runs: ReadonlyArray<'main' | 'own' | undefined>): string {
  const say = (t: 'main' | 'own' | undefined) => (t === 'own' ? 'thread of its own' : t === 'main' ? 'acknowledging thread' : 'unrecorded thread');
  const kinds = [...new Set(runs)];
  return kinds.length === 1 ? say(kinds[0]) : runs.map(say).join(' / ');
}
