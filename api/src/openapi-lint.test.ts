import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHarness, type Harness } from '../testing/harness.js';

const run = promisify(execFile);
const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'node_modules', '.bin');
/** Nothing leaves the machine: no telemetry, no update check (the linters read only the file they are given). */
const OFFLINE = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_UPDATE_NOTIFIER: '1', CI: 'true' };

/** Runs a linter; a non-zero exit (problems found) still gives its report on stdout. */
async function lint(cmd: string, args: string[], cwd: string): Promise<string> {
  try {
    return (await run(join(BIN, cmd), args, { cwd, env: OFFLINE, maxBuffer: 32 << 20, timeout: 120_000 })).stdout;
  } catch (e) {
    const out = (e as { stdout?: string }).stdout;
    if (out) return out;
    throw e;
  }
}

describe('the served /openapi.json under third-party linters', () => {
  let h: Harness;
  let dir: string;
  let file: string;
  beforeAll(async () => {
    h = await openHarness();
    dir = await mkdtemp(join(tmpdir(), 'cityhub-openapi-lint-'));
    file = join(dir, 'openapi.json');
    await writeFile(file, (await h.app.inject({ url: '/openapi.json' })).body);
  });
  afterAll(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('passes redocly\'s recommended rules with no error and no missing operationId', async () => {
    const out = await lint('redocly', ['lint', file, '--extends', 'recommended', '--format', 'json'], dir);
    const report = JSON.parse(out.slice(out.indexOf('{'))) as { problems: Array<{ ruleId: string; severity: string; message: string; location: Array<{ pointer: string }> }> };
    const show = (p: (typeof report.problems)[number]) => `${p.ruleId} ${p.location[0]?.pointer ?? ''}: ${p.message}`;
    expect(report.problems.filter((p) => p.severity === 'error').map(show)).toEqual([]);
    expect(report.problems.filter((p) => p.ruleId === 'operation-operationId').map(show)).toEqual([]);
  }, 120_000);

  it('passes spectral\'s oas ruleset with no error and no missing operationId', async () => {
    await writeFile(join(dir, '.spectral.yaml'), 'extends: ["spectral:oas"]\n');
    const out = await lint('spectral', ['lint', file, '--ruleset', join(dir, '.spectral.yaml'), '--format', 'json', '--quiet'], dir);
    const results = JSON.parse(out.slice(out.indexOf('['))) as Array<{ code: string; severity: number; message: string; path: string[] }>;
    const show = (r: (typeof results)[number]) => `${r.code} ${r.path.join('.')}: ${r.message}`;
    // Severity 0 is an error.
    expect(results.filter((r) => r.severity === 0).map(show)).toEqual([]);
    expect(results.filter((r) => r.code === 'operation-operationId').map(show)).toEqual([]);
  }, 120_000);
});
