// `npm test` runs this before the tests: import layers, import cycles and size limits (see scripts/architecture.mjs).
// Exit 1 with one line a problem; `--quiet` prints only problems.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkRepo } from './architecture.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const workspaces = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces;
// Tracked files and new ones not ignored, as they are in the working tree; declarations and built output are not sources.
const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', '*.ts', '*.tsx', '*.mjs', '*.js'], { cwd: root, encoding: 'utf8' })
  .split('\n').filter((f) => f && !f.endsWith('.d.ts') && !/(^|\/)(dist|node_modules)\//.test(f));
const present = files.filter((f) => { try { readFileSync(join(root, f)); return true; } catch { return false; } });
const problems = checkRepo(root, present, workspaces);
for (const p of problems) console.error(`architecture: ${p}`);
if (problems.length) {
  console.error(`architecture: ${problems.length} problem(s) in ${present.length} files`);
  process.exit(1);
}
if (!process.argv.includes('--quiet')) console.log(`architecture: ${present.length} files, layers kept, no import cycle, no file over 400 lines, no function over 80`);
