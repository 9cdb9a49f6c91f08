/** The Markdown and targets of steps 7–8 (PUBACK under live clients and under a wrong-password flood). */
import type { GuardResults, Phase } from '../steps/guard.js';
import { fmt } from './stats.js';

export interface GuardTarget { name: string; target: string; measured: string; met: boolean | null }

/** The live feed's RSS bound with 2,000 clients (README). */
export const LIVE_RSS_BOUND_MB = 600;

const ratio = (a: Phase, b: Phase) => a.p99.median / Math.max(1, b.p99.median);

export function guardTargets(g: GuardResults | undefined): GuardTarget[] {
  const out: GuardTarget[] = [];
  if (g?.live) {
    const r = ratio(g.live.loaded, g.live.baseline);
    out.push({ name: `PUBACK p99, ${g.live.clients.toLocaleString('en-US')} live clients + 5,000-reading messages vs none`, target: '≤ 2× (floor 1 ms)',
      measured: `${r.toFixed(2)}× (${fmt(g.live.loaded.p99, 1)} vs ${fmt(g.live.baseline.p99, 1)} ms)`, met: r <= 2 });
    const rss = g.live.loaded.rssMb?.median ?? NaN;
    out.push({ name: `Hub RSS with ${g.live.clients.toLocaleString('en-US')} live clients`, target: `≤ ${LIVE_RSS_BOUND_MB} MB`, measured: `${fmt(g.live.loaded.rssMb)} MB`, met: rss <= LIVE_RSS_BOUND_MB });
  }
  if (g?.auth) {
    const r = ratio(g.auth.flood, g.auth.baseline);
    out.push({ name: `PUBACK p99, ${g.auth.concurrency} concurrent wrong-password logins vs none`, target: '≤ 2× (floor 1 ms)',
      measured: `${r.toFixed(2)}× (${fmt(g.auth.flood.p99, 1)} vs ${fmt(g.auth.baseline.p99, 1)} ms)`, met: r <= 2 });
  }
  return out;
}

const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
const phaseRow = (name: string, p: Phase) => row([name, fmt(p.p50, 1), fmt(p.p99, 1), fmt(p.max, 1), p.bigAckMs ? fmt(p.bigAckMs) : '–', p.rssMb ? fmt(p.rssMb) : '–']);

export function renderGuard(g: GuardResults | undefined): string[] {
  if (!g?.live && !g?.auth) return [];
  const lines = ['## 7–8. PUBACK under live clients and under a wrong-password flood', '',
    'One device publishes one reading every 50 ms at QoS 1 for 8 s; PUBACK latency as it sees it, after its first message (a lone one, which waits up to `CITYHUB_SPOOL_COMMIT_DELAY_MS` for company by design, asleep while no HTTP client waits on the hub) and those sent before its PUBACK, which waited with it. Each load side by side with its baseline on the same hub. ' +
    '7: a 5,000-reading message from another device every 2 s in both phases; the live clients (`?kind=traffic`) run in another process. ' +
    '8: wrong-password logins for the probe\'s own device id, 300 in flight at all times, from another process.', '',
    row(['phase', 'p50 ms', 'p99 ms', 'max ms', '5,000-reading PUBACK max ms', 'hub RSS max MB']), row(['---', '---', '---', '---', '---', '---'])];
  if (g.live) {
    lines.push(phaseRow('no live clients', g.live.baseline), phaseRow(`${g.live.clients.toLocaleString('en-US')} live clients (${g.live.open.join('/')} open)`, g.live.loaded));
  }
  if (g.auth) {
    lines.push(phaseRow('no flood', g.auth.baseline), phaseRow(`${g.auth.concurrency} concurrent wrong passwords`, g.auth.flood));
    lines.push('', `Wrong-password attempts per run: ${g.auth.attempts.join('/')}; refusals by CONNACK code: ${g.auth.refusals.map((x) => JSON.stringify(x)).join(' ')}; ` +
      `their CONNACK p99: ${g.auth.connackP99Ms.map((x) => x.toFixed(0)).join('/')} ms.`);
  }
  lines.push('');
  return lines;
}
