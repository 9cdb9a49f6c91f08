/**
 * `npm run bench`: City Hub's reproducible benchmark, on loopback only, bounded in time (about 15 minutes
 * on a 2-core machine: `--budget-s` bounds the repeats). Writes bench/results/<date>.json and .md. Every figure is the median of repeated
 * runs with its spread; every comparison is measured side by side in the same run.
 *
 *   npm run bench [-- --runs N] [--steps relay,latency,history,connections,dashboard,live,auth,city,rules] [--profile]
 *                 [--devices N] [--history-step-min M] [--out DIR] [--budget-s S]
 *
 * `rules` (alert rules, fixed and relative to the usual, scored on a simulated week: about 2 minutes) runs only
 * when asked for: `npm run bench -- --steps rules`.
 */
import { cpus, freemem, loadavg, totalmem, platform, release } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { BenchContext } from './lib/context.js';
import { BENCH } from './lib/procs.js';
import { renderMarkdown, type BenchResults } from './lib/report.js';
import { summariseProfiles } from './lib/cpuprofile.js';
import { connections } from './steps/connections.js';
import { dashboard } from './steps/dashboard.js';
import { guardSteps } from './steps/guard.js';
import { liveCity } from './steps/city.js';
import { historyAndDashboard } from './steps/history.js';
import { latency } from './steps/latency.js';
import { relayAndIngest } from './steps/relay.js';
import { measureRules } from './steps/rules.js';

const STEPS = ['relay', 'latency', 'history', 'connections', 'dashboard', 'live', 'auth', 'city', 'rules'] as const;
type Step = (typeof STEPS)[number];

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    steps: { type: 'string', default: STEPS.filter((s) => s !== 'rules').join(',') },
    profile: { type: 'boolean', default: false },
    devices: { type: 'string', default: '10000' },
    'history-step-min': { type: 'string', default: '15' },
    'hub-node-options': { type: 'string' },
    out: { type: 'string', default: join(BENCH, 'results') },
    'budget-s': { type: 'string', default: '570' },
  },
});
const steps = new Set(values.steps.split(',').map((s) => s.trim()) as Step[]);
for (const s of steps) if (!STEPS.includes(s)) throw new Error(`unknown step "${s}"; steps are ${STEPS.join(', ')}`);

const started = Date.now();
const date = new Date().toISOString().slice(0, 10);
const profileDir = values.profile ? join(values.out, 'profiles', date) : undefined;
if (profileDir) await mkdir(profileDir, { recursive: true });
const ctx: BenchContext = {
  runs: Math.max(1, Number(values.runs)),
  deadline: started + Number(values['budget-s']) * 1000,
  log: (m) => console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${m}`),
  ...(profileDir && { profileDir }),
};

const results: BenchResults = {
  date,
  machine: {
    cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memGb: totalmem() / 2 ** 30, freeGb: freemem() / 2 ** 30, os: `${platform()} ${release()}`, node: process.version,
    loadAtStart: loadavg()[0]!,
  },
  runs: ctx.runs,
  steps: {},
  notes: [],
};

const guard = async <T>(name: string, fn: () => Promise<T>): Promise<T | undefined> => {
  ctx.log(`${name}… (load average ${loadavg()[0]!.toFixed(1)})`);
  const t0 = Date.now();
  try {
    const r = await fn();
    ctx.log(`${name} done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    return r;
  } catch (err) {
    const msg = `${name} failed: ${(err as Error).stack ?? String(err)}`;
    ctx.log(msg);
    results.notes.push(msg.split('\n').slice(0, 6).join('\n'));
    return undefined;
  }
};

if (steps.has('relay')) results.steps.relay = await guard('1–2 raw MQTT relay and durable ingest', () => relayAndIngest(ctx));
if (steps.has('latency')) {
  const max = results.steps.relay?.ingest.rate.median;
  results.steps.latency = await guard('3 publish → /live latency', () => latency(ctx, max));
}
if (steps.has('history') || steps.has('dashboard')) {
  const r = await guard('4 history queries (and 6 dashboard on the same data)', () =>
    historyAndDashboard(ctx, { history: steps.has('history'), stepMin: Number(values['history-step-min']), dashboard: steps.has('dashboard') ? dashboard : null }));
  if (r?.history) results.steps.history = r.history;
  if (r?.dashboard) results.steps.dashboard = r.dashboard;
}
if (steps.has('connections')) results.steps.connections = await guard('5 concurrent device connections', () => connections(ctx, Number(values.devices), values['hub-node-options']));
if (steps.has('live') || steps.has('auth')) {
  const g = await guard('7–8 PUBACK under 2,000 live clients and under a wrong-password flood', () => guardSteps(ctx, { live: steps.has('live'), auth: steps.has('auth') }));
  if (g) results.steps.guard = g;
}
if (steps.has('city')) results.steps.city = await guard('9 a live city of 212 devices: the hub\'s CPU', () => liveCity(ctx));
if (steps.has('rules')) results.steps.rules = await guard('10 alert rules, fixed and relative to the usual, on a simulated week', () => measureRules({ log: (m) => ctx.log(m) }));
if (profileDir) results.profiles = await summariseProfiles(profileDir);

results.totalS = (Date.now() - started) / 1000;
results.machine.loadAtEnd = loadavg()[0]!;
await mkdir(values.out, { recursive: true });
await writeFile(join(values.out, `${date}.json`), JSON.stringify(results, null, 2) + '\n');
const md = renderMarkdown(results);
await writeFile(join(values.out, `${date}.md`), md);
console.log('\n' + md);
ctx.log(`results in ${join(values.out, `${date}.json`)} and .md (${results.totalS.toFixed(0)} s in all)`);
