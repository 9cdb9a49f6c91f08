/** Summaries of V8 CPU profiles (`node --cpu-prof`): where the self time went, by function. */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { ROOT } from './procs.js';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }
interface CpuProfile { nodes: ProfileNode[]; startTime: number; endTime: number; samples?: number[]; timeDeltas?: number[] }

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Functions by self time, idle and GC included as V8 names them. */
  top: Array<{ name: string; where: string; pct: number }>;
}

/** The functions with the most self time in one profile. */
export function summarise(file: string, p: CpuProfile, n = 15): ProfileSummary {
  const byId = new Map(p.nodes.map((x) => [x.id, x]));
  const self = new Map<string, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  let total = 0;
  samples.forEach((id, i) => {
    const node = byId.get(id);
    if (!node) return;
    const dt = deltas[i + 1] ?? deltas[i] ?? 0;
    const cf = node.callFrame;
    const where = cf.url ? `${cf.url.replace(/^file:\/\//, '').replace(ROOT + '/', '')}:${cf.lineNumber + 1}` : 'native';
    const key = `${cf.functionName || '(anonymous)'}\u0000${where}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, us]) => {
    const [name, where] = k.split('\u0000') as [string, string];
    return { name, where, pct: (100 * us) / Math.max(1, total) };
  });
  return { file: relative(ROOT, file), totalMs: total / 1000, top };
}

/** Summaries of every .cpuprofile in a folder. */
export async function summariseProfiles(dir: string): Promise<ProfileSummary[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).sort();
  const out: ProfileSummary[] = [];
  for (const f of files) out.push(summarise(join(dir, f), JSON.parse(await readFile(join(dir, f), 'utf8')) as CpuProfile));
  return out;
}
