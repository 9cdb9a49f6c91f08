/** Builds the dashboard for the browser suites when its sources are newer than `dist/`. */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const DASHBOARD = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Held while one suite builds: on a machine with more cores, the browser suites run side by side. */
const LOCK = join(tmpdir(), `cityhub-dashboard-build-${createHash('sha1').update(DASHBOARD).digest('hex').slice(0, 12)}.lock`);
const LOCK_STALE_MS = 120_000;

function newest(path: string): number {
  const s = statSync(path, { throwIfNoEntry: false });
  if (!s) return 0;
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((n) => newest(join(path, n))));
}

function stale(): boolean {
  const built = statSync(join(DASHBOARD, 'dist', 'index.html'), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const inputs = Math.max(newest(join(DASHBOARD, 'src')), newest(join(DASHBOARD, 'index.html')), newest(join(DASHBOARD, 'vite.config.ts')),
    newest(join(DASHBOARD, '..', 'contracts', 'src')), newest(join(DASHBOARD, '..', 'contracts', 'data')));
  return built < inputs;
}

/** Builds the dashboard when its sources are newer than dist/ (`npm test` has usually done it already). */
export async function ensureBuilt(): Promise<void> {
  for (;;) {
    if (!stale()) return;
    try {
      // mkdir is atomic: whoever creates the directory builds, the others wait for it to go away.
      mkdirSync(LOCK);
    } catch {
      const age = Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > LOCK_STALE_MS) rmSync(LOCK, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    try {
      if (stale()) {
        const vite = join(DASHBOARD, '..', 'node_modules', '.bin', 'vite');
        await promisify(execFile)(vite, ['build', '--logLevel', 'warn'], { cwd: DASHBOARD });
      }
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
  }
}
