/**
 * Processes of a split deployment for end-to-end tests: the built `cityhub broker` and `cityhub api`, each
 * its own process, started on given ports and stopped (or killed) by the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { bannerOf, CLI } from './harness.js';

export interface NodeProcess {
  proc: ChildProcess;
  /** What the banner named: `MQTT`, `Health`, `Dashboard`… → URL. */
  urls: Record<string, string>;
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (null when killed by a signal). */
  stop(graceMs?: number): Promise<number | null>;
  /** SIGKILL now, and wait for the exit. */
  kill(): Promise<void>;
}

/** Starts `cityhub <command>` with `env` on top of this process's, and resolves when its banner is printed. */
export async function startNode(command: 'broker' | 'api', env: Record<string, string>, timeoutMs = 60_000): Promise<NodeProcess> {
  const proc = spawn(process.execPath, [CLI, command], {
    env: { ...process.env, CITYHUB_LOG_LEVEL: 'warn', CITYHUB_RATE_LIMIT_PER_MIN: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  proc.stderr.on('data', (b: Buffer) => { out += b.toString(); });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const deadline = Date.now() + timeoutMs;
  const msg = `City Hub ${command === 'api' ? 'API' : command} node is running`;
  let banner: { mqtt?: string[]; http?: string; dashboard?: string; api?: string } | undefined;
  while (!(banner = bannerOf(out, msg))) {
    if (proc.exitCode !== null) throw new Error(`cityhub ${command} exited with ${proc.exitCode}:\n${out}`);
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`cityhub ${command} did not start in ${timeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  // The addresses under the names the human banner gives them.
  const urls: Record<string, string> = {};
  const named = { MQTT: banner.mqtt?.[0], HTTP: banner.http, Dashboard: banner.dashboard, API: banner.api };
  for (const [k, v] of Object.entries(named)) if (v) urls[k] = v.replace(/\/$/, '');
  const running = () => proc.exitCode === null && proc.signalCode === null;
  return {
    proc, urls,
    output: () => out,
    async stop(graceMs = 40_000) {
      if (running()) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(t);
      }
      return proc.exitCode;
    },
    async kill() {
      if (running()) proc.kill('SIGKILL');
      await exited;
    },
  };
}
