/**
 * Step 10: alert rules relative to the usual against today's fixed rules, on the simulated city whose incidents
 * are known. Four weeks of history (every road link and building, one reading per 5 minutes) go into a real
 * DuckDB store in a temporary directory, which keeps its rollups; the usual values come from its 1 h rollups.
 * Then the week after, one reading per asset per minute in time order, goes through the real alert engine once
 * per rule set (RULE_SETS: today's fixed rules, the relative ones, the relative congestion rule held 10 minutes)
 * with the usual values of the history weeks. Each rule is scored against the incidents
 * of the simulator's seeded model (bench/lib/rule-score.ts). Deterministic: same seed, same figures.
 *
 *   npm run bench -- --steps rules      (or, without building: node --conditions source --import tsx bench/run.ts --steps rules)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlertEngine, Baselines } from '@cityhub/alerts';
import { cityClock, FIXED_RULES, silentLogger, USUAL_RULES, type AlertEvent, type Kind, type Rule } from '@cityhub/contracts';
import { openSharedDocument } from '@cityhub/state';
import { createDuckDbStore, type Store } from '@cityhub/store';
import { cityReadings, incidentsOn, ruleCity, writeHistory, type RuleCity } from '../lib/rule-city.js';
import { scoreRule, spansOf, type RuleScore } from '../lib/rule-score.js';

const MIN_MS = 60_000;
const DAY_MS = 86_400_000;

/** The weekday rush hours of the traffic model (simulator/src/models/traffic.ts), with their ramps and the links' ±15 min: 07–10, 13:30–16, 17–20 local. */
function rushHours(city: RuleCity): (ts: number) => boolean {
  const clock = city.models.clock;
  return (ts) => {
    const p = clock.localParts(ts);
    const m = p.hour * 60 + p.minute;
    return p.dow < 5 && ((m >= 420 && m < 600) || (m >= 810 && m < 960) || (m >= 1020 && m < 1200));
  };
}

/** The rule sets compared: today's fixed built-in rules and the relative ones (wifi's offline rule is alike in both, and left out). */
export const RULE_SETS: Array<{ name: string; rules: Rule[] }> = [
  { name: 'fixed', rules: FIXED_RULES.filter((r) => r.kind !== 'wifi') },
  { name: 'relative', rules: [...USUAL_RULES, ...FIXED_RULES.filter((r) => r.id === 'building-power')] },
  // The same relative congestion rule held for 10 minutes instead of 5: what the longer duration buys.
  { name: 'relative, 10 min', rules: USUAL_RULES.filter((r) => r.kind === 'traffic').map((r) => ({ ...r, id: `${r.id}-10min`, name: r.name.replace('5 minutes', '10 minutes'), for_s: 600 })) },
];

/** Options of {@link measureRules}. */
export interface RulesOptions {
  seed?: number;
  /** The evaluation starts here (default Monday 16 November 2026, 00:00 in Thessaloniki). */
  from?: number;
  days?: number;
  historyWeeks?: number;
  historyStepMs?: number;
  stepMs?: number;
  /** Only the first N road links and buildings (a short test). */
  links?: number;
  buildings?: number;
  log?: (msg: string) => void;
}

export interface RulesResults {
  seed: number;
  from: string;
  to: string;
  historyWeeks: number;
  historyStepMin: number;
  stepMin: number;
  links: number;
  buildings: number;
  historyPoints: number;
  readings: number;
  ms: number;
  sets: Array<{ name: string; rules: Array<RuleScore & { name: string; kind: Kind }> }>;
}

/** One rule set's engine, its usual values from the store as they were at the evaluation's start. */
async function openEngine(store: Store, city: RuleCity, rules: Rule[], dir: string, at: number): Promise<{ engine: AlertEngine; events: AlertEvent[]; close(): Promise<void> }> {
  const assets = new Map([...city.links, ...city.buildings].map((a) => [a.id, a.properties]));
  const baselines = new Baselines({
    store, rules: () => rules, clock: city.models.clock, logger: silentLogger,
    assets: (kind) => [...assets.values()].filter((p) => p.kind === kind).map((p) => p.id),
  });
  await baselines.refresh(at);
  const stateDoc = await openSharedDocument('alerts', { dataDir: dir });
  // The hub's clock stays at the start: the usual values are those of the history weeks, not refreshed in the week scored.
  const engine = await AlertEngine.open({ store, rules: () => rules, stateDoc, logger: silentLogger, asset: (id) => assets.get(id), baselines, now: () => at });
  const events: AlertEvent[] = [];
  engine.on('event', (e) => events.push(e));
  return { engine, events, close: async () => { await engine.close(); await stateDoc.close(); } };
}

/** Runs the measurement; see the file's comment. */
export async function measureRules(o: RulesOptions = {}): Promise<RulesResults> {
  const started = Date.now();
  const log = o.log ?? (() => {});
  const seed = o.seed ?? 1;
  const from = o.from ?? cityClock().fromLocal(2026, 11, 16);
  const days = o.days ?? 7;
  const to = from + days * DAY_MS;
  const historyWeeks = o.historyWeeks ?? 4;
  const historyStepMs = o.historyStepMs ?? 5 * MIN_MS;
  const stepMs = o.stepMs ?? MIN_MS;
  const city = ruleCity({ seed, ...(o.links !== undefined && { links: o.links }), ...(o.buildings !== undefined && { buildings: o.buildings }) });
  const dir = await mkdtemp(join(tmpdir(), 'cityhub-rules-'));
  const store = createDuckDbStore({ path: join(dir, 'city.duckdb') });
  try {
    await store.init();
    const historyPoints = await writeHistory(store, city, from - historyWeeks * 7 * DAY_MS, from, historyStepMs);
    log(`rules: ${historyPoints.toLocaleString('en-US')} history points written`);
    const engines = await Promise.all(RULE_SETS.map((s) => openEngine(store, city, s.rules, join(dir, s.name), from)));
    let readings = 0;
    for (const points of cityReadings(city, from, to, stepMs)) {
      for (const e of engines) e.engine.onPoints(points);
      readings += points.length;
    }
    await Promise.all(engines.map((e) => e.close()));
    log(`rules: ${readings.toLocaleString('en-US')} readings through ${engines.length} engines`);
    const effects = incidentsOn(city, from, to);
    const rush = rushHours(city);
    const sets = RULE_SETS.map((s, k) => ({
      name: s.name,
      rules: s.rules.map((r) => ({ ...scoreRule(r.id, spansOf(engines[k]!.events, r.id, to), r.kind === 'traffic' ? effects : new Map(), from, to, rush), name: r.name, kind: r.kind })),
    }));
    return {
      seed, from: new Date(from).toISOString(), to: new Date(to).toISOString(), historyWeeks, historyStepMin: historyStepMs / MIN_MS, stepMin: stepMs / MIN_MS,
      links: city.links.length, buildings: city.buildings.length, historyPoints, readings, ms: Date.now() - started, sets,
    };
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const n = (x: number | null, d = 1): string => (x === null ? '—' : x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));

/** The Markdown section: one row per rule, both sets side by side. */
export function renderRules(r: RulesResults | undefined): string[] {
  if (!r) return [];
  const lines = [
    `## Alert rules: fixed against relative to the usual (seed ${r.seed})`, '',
    `${r.links} road links and ${r.buildings} buildings; ${r.historyWeeks} weeks of history (one reading per ${r.historyStepMin} min, ${r.historyPoints.toLocaleString('en-US')} points) for the usual values; evaluated ${r.from} – ${r.to}, one reading per asset per ${r.stepMin} min (${r.readings.toLocaleString('en-US')} readings); ${(r.ms / 1000).toFixed(0)} s.`, '',
    '| set | rule | alerts/day | false alerts/day (of them in weekday rush hours) | incidents detected | delay median / p90 (min) | most alerted |',
    '|---|---|---:|---:|---:|---:|---|',
  ];
  for (const s of r.sets) {
    for (const x of s.rules) {
      const detected = x.kind === 'traffic' ? `${x.detected}/${x.incidents} (${n(x.share === null ? null : x.share * 100, 0)} %)` : '—';
      const delay = x.kind === 'traffic' ? `${n(x.delayMedianMin)} / ${n(x.delayP90Min)}` : '—';
      const falses = x.kind === 'traffic' ? `${n(x.falsePerDay)} (${x.falseInRush} of ${x.falseAlerts})` : '—';
      lines.push(`| ${s.name} | \`${x.rule}\` | ${n(x.alertsPerDay)} | ${falses} | ${detected} | ${delay} | ${x.top.map((t) => `${t.asset} ${t.alerts}`).join(', ')} |`);
    }
  }
  lines.push('');
  return lines;
}
