/** The brokers of the raw relay step: aedes alone in its own process, and Debian's mosquitto. */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forkTs, freePort, ROOT, spawnWatched, stopChild, waitMessage } from './procs.js';

export interface RunningBroker { name: string; port: number; proc: ChildProcess; version: string; stop(): Promise<void> }

/** A bare aedes (see gen/aedes-broker.ts). */
export async function startAedes(): Promise<RunningBroker> {
  const proc = forkTs('gen/aedes-broker.ts');
  const { port } = await waitMessage<{ port: number }>(proc, 'listening', 30_000);
  return { name: 'aedes', port, proc, version: aedesVersion(), stop: () => stopChild(proc) };
}

function aedesVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'node_modules', 'aedes', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

const MOSQUITTO = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'];

/** Where mosquitto is, or null (the bench then says how to install it and skips it). */
export function findMosquitto(): string | null {
  return MOSQUITTO.find((p) => existsSync(p)) ?? null;
}

/**
 * mosquitto on a free loopback port with a private config: anonymous, no persistence, and queues deep
 * enough that a slow subscriber does not lose QoS 1 messages (docs/design.md, "Facts the code relies on": the default 1,000 drops them
 * silently while publishers still get every PUBACK).
 */
export async function startMosquitto(bin: string): Promise<RunningBroker> {
  const dir = await mkdtemp(join(tmpdir(), 'cityhub-bench-mosquitto-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  await writeFile(conf, [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence false',
    'max_queued_messages 100000',
    // Unacknowledged QoS 1 messages to one client at a time; 0 would be unlimited.
    'max_inflight_messages 1000',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    '',
  ].join('\n'));
  const w = spawnWatched(bin, ['-c', conf], process.env);
  // mosquitto prints nothing at log_type error once it is up: poll the port instead.
  const { RawMqtt } = await import('./raw-mqtt.js');
  const end = Date.now() + 10_000;
  for (;;) {
    try {
      const c = await RawMqtt.connect({ host: '127.0.0.1', port, clientId: 'bench-probe', timeoutMs: 1_000 });
      await c.close();
      break;
    } catch (e) {
      if (Date.now() > end || w.proc.exitCode !== null) throw new Error(`mosquitto did not start: ${(e as Error).message}\n${w.output()}`, { cause: e });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  let version = 'unknown';
  try {
    version = /mosquitto version (\S+)/.exec(execFileSync(bin, ['-h'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }))?.[1] ?? version;
  } catch (e) {
    // `mosquitto -h` exits 3 after printing its usage.
    version = /mosquitto version (\S+)/.exec(String((e as { stdout?: string }).stdout ?? ''))?.[1] ?? version;
  }
  return {
    name: 'mosquitto', port, proc: w.proc, version,
    async stop() {
      await stopChild(w.proc);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
