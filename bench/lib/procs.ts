/** Child processes of the bench: forked TypeScript helpers, plain commands, RSS and CPU time, free ports, clean stops. */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BENCH = join(ROOT, 'bench');

/** A free TCP port on loopback (listen on 0, close, reuse). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Resident set size of a process (bytes), and its peak, from /proc. */
export function rssOf(pid: number): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return { rss: NaN, peak: NaN };
  }
}

let tick: number | undefined;

/** The clock tick of /proc's CPU times (getconf CLK_TCK, 100 on Linux when it cannot be read). */
function clockTick(): number {
  if (tick === undefined) {
    try {
      tick = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      tick = 100;
    }
  }
  return tick;
}

/** A process's CPU time so far, all its threads (user + system), seconds, from /proc/<pid>/stat; NaN once it is gone. */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at the state, field 3; utime and stime are 14 and 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / clockTick();
  } catch {
    return NaN;
  }
}

/** Forks a TypeScript helper under tsx, with IPC. */
export function forkTs(script: string, args: string[] = [], extraExecArgv: string[] = []): ChildProcess {
  return fork(join(BENCH, script), args, { execArgv: ['--import', 'tsx', ...extraExecArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], cwd: ROOT });
}

/** Sends `job` to a forked helper and resolves with its `result` message (rejects on error, exit or timeout). */
export function ask<R>(child: ChildProcess, job: unknown, timeoutMs: number): Promise<R> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`helper timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (m: { type: string; result?: R; message?: string }) => {
      if (m.type !== 'result' && m.type !== 'error') return;
      clearTimeout(timer);
      child.off('message', on);
      if (m.type === 'result') resolve(m.result as R);
      else reject(new Error(m.message ?? 'helper failed'));
    };
    child.on('message', on);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`helper exited with ${code}`));
    });
    child.send(job as object);
  });
}

/** Waits for a message of `type` from a forked helper. */
export function waitMessage<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${type}" from helper within ${timeoutMs} ms`)), timeoutMs);
    const on = (m: { type: string }) => {
      if (m.type !== type) return;
      clearTimeout(timer);
      child.off('message', on);
      resolve(m as T);
    };
    child.on('message', on);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`helper exited with ${code} before "${type}"`));
    });
  });
}

/** Spawns a command and collects its output; `ready` resolves when `pattern` appears in it. */
export function spawnWatched(cmd: string, args: string[], env: NodeJS.ProcessEnv, pattern?: RegExp):
  { proc: ChildProcess; output(): string; stdout(): string; ready: Promise<RegExpExecArray | null>; exited: Promise<number | null> } {
  const proc = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
  let out = '';
  // stdout alone as well: in `out`, a chunk of stderr can land in the middle of a stdout line.
  let stdout = '';
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const ready = new Promise<RegExpExecArray | null>((resolve, reject) => {
    const check = () => {
      if (!pattern) return resolve(null);
      const m = pattern.exec(out);
      if (m) resolve(m);
    };
    proc.stdout.on('data', (b: Buffer) => {
      const text = b.toString();
      out += text;
      stdout += text;
      check();
    });
    proc.stderr.on('data', (b: Buffer) => {
      out += b.toString();
      check();
    });
    void exited.then((code) => reject(new Error(`${cmd} exited with ${code}:\n${out.slice(-4000)}`)));
  });
  ready.catch(() => undefined);
  return { proc, output: () => out, stdout: () => stdout, ready, exited };
}

/** Stops a child: `signal`, then SIGKILL after `graceMs`. Resolves when it has exited. */
export async function stopChild(proc: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill(signal);
  const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
