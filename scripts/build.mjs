// Builds what `cityhub` runs: the TypeScript workspaces (tsc -b, incremental) and the dashboard (Vite),
// the latter only when its sources are newer than its last build, so `npm start` stays quick.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { precompress } from './precompress.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quiet = process.argv.includes('--quiet');
const bin = (name) => join(root, 'node_modules', '.bin', name);

function run(cmd, args, cwd = root) {
  const r = spawnSync(cmd, args, { cwd, stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit' });
  if (r.status !== 0) {
    console.error(`build: ${cmd.split('/').pop()} ${args.join(' ')} failed`);
    process.exit(r.status ?? 1);
  }
}

function newest(dir) {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist') continue;
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

run(bin('tsc'), ['-b']);
const dash = join(root, 'dashboard');
const built = join(dash, 'dist', 'index.html');
const inputs = Math.max(newest(join(dash, 'src')), newest(join(root, 'contracts', 'src')), newest(join(root, 'contracts', 'data')),
  statSync(join(dash, 'index.html'), { throwIfNoEntry: false })?.mtimeMs ?? 0,
  statSync(join(dash, 'vite.config.ts'), { throwIfNoEntry: false })?.mtimeMs ?? 0);
if (!existsSync(built) || statSync(built).mtimeMs < inputs) run(bin('vite'), ['build', '--logLevel', quiet ? 'error' : 'warn'], dash);
// Brotli and gzip copies of the bundle, for clients that accept them (also after a build that predates them).
if (existsSync(built)) precompress(join(dash, 'dist'));
