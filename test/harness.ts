/**
 * End-to-end harness: runs the built `cityhub start` as its own process on free ports with a temporary
 * data directory, provisions devices with the real `cityhub devices add`, and publishes over real MQTT.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import type { DeviceKind, Kind } from '@cityhub/contracts';
import { loadCatalogue } from '@cityhub/contracts/catalogue';
import { openRegistry } from '@cityhub/devices';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = join(ROOT, 'bin', 'cityhub.js');

/** The fields of a node's start banner, the JSON log line whose `msg` is `msg`, once it is in `out`. */
export function bannerOf<T>(out: string, msg: string): T | undefined {
  for (const line of out.split('\n')) {
    if (!line.startsWith('{') || !line.includes(msg)) continue;
    try {
      const o = JSON.parse(line) as { msg?: string };
      if (o.msg === msg) return o as T;
    } catch {
      // a line still being written
    }
  }
  return undefined;
}
const run = promisify(execFile);

export interface Credentials { id: string; secret: string; kind: DeviceKind; asset: string }

export interface TestHub {
  httpUrl: string;
  mqttUrl: string;
  mqttPort: number;
  dataDir: string;
  proc: ChildProcess;
  /** Everything the hub printed so far. */
  output(): string;
  provision(kind: Kind, asset: string): Promise<Credentials>;
  /** Publishes with mqtt.js at QoS 1 and resolves after the PUBACK. */
  publish(device: Credentials, payload: unknown, topic?: string): Promise<void>;
  get<T = unknown>(path: string): Promise<{ status: number; body: T }>;
  /** Stops the hub (SIGTERM, then SIGKILL after a grace period); keeps the data dir when `keepData`. */
  stop(opts?: { keepData?: boolean; signal?: NodeJS.Signals }): Promise<number | null>;
}

export interface StartOptions {
  simulate?: number;
  dataDir?: string;
  env?: Record<string, string>;
  /** How long to wait for the banner. */
  timeoutMs?: number;
}

/** Starts `cityhub start` and resolves once it printed its dashboard and MQTT addresses. */
export async function startHub(opts: StartOptions = {}): Promise<TestHub> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'cityhub-e2e-')));
  const env = {
    ...process.env,
    CITYHUB_DATA_DIR: dataDir,
    CITYHUB_HTTP_PORT: '0',
    CITYHUB_MQTT_PORT: '0',
    CITYHUB_SIMULATE: String(opts.simulate ?? 0),
    CITYHUB_LOG_LEVEL: 'warn',
    // Tests poll from one address far faster than a person; the limit itself is tested in the API's tests.
    CITYHUB_RATE_LIMIT_PER_MIN: '0',
    ...opts.env,
  };
  const proc = spawn(process.execPath, [CLI, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  proc.stderr.on('data', (b: Buffer) => { out += b.toString(); });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));

  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let httpUrl = '';
  let mqttUrl = '';
  while (Date.now() < deadline) {
    const banner = bannerOf<{ dashboard: string; mqtt: string[] }>(out, 'City Hub is running');
    if (banner) {
      httpUrl = banner.dashboard.replace(/\/$/, '');
      mqttUrl = banner.mqtt[0]!;
      break;
    }
    if (proc.exitCode !== null) throw new Error(`cityhub exited with ${proc.exitCode}:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!httpUrl) {
    proc.kill('SIGKILL');
    throw new Error(`cityhub did not print its addresses in time:\n${out}`);
  }
  const mqttPort = Number(new URL(mqttUrl).port);

  const hub: TestHub = {
    httpUrl, mqttUrl, mqttPort, dataDir, proc,
    output: () => out,
    async provision(kind, asset) {
      const { stdout } = await run(process.execPath, [CLI, 'devices', 'add', '--kind', kind, '--asset', asset, '--json'], { env });
      return JSON.parse(stdout) as Credentials;
    },
    async publish(device, payload, topic) {
      const c = await mqtt.connectAsync(mqttUrl, { clientId: device.id, username: device.id, password: device.secret, protocolVersion: 4, reconnectPeriod: 0 });
      try {
        await c.publishAsync(topic ?? `city/${device.kind}/${device.id}/telemetry`, typeof payload === 'string' ? payload : JSON.stringify(payload), { qos: 1 });
      } finally {
        await c.endAsync();
      }
    },
    async get<T>(path: string) {
      const res = await fetch(httpUrl + path);
      return { status: res.status, body: (await res.json()) as T };
    },
    async stop(o = {}) {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill(o.signal ?? 'SIGTERM');
        // A graceful stop may drain the spool for up to 15 s: give it more before SIGKILL.
        const t = setTimeout(() => proc.kill('SIGKILL'), 40_000);
        await exited;
        clearTimeout(t);
      }
      if (!o.keepData && !opts.dataDir) await rm(dataDir, { recursive: true, force: true });
      return proc.exitCode;
    },
  };
  return hub;
}

/** Polls `fn` until it returns a value that is not undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(fn: () => Promise<T | undefined>, timeoutMs = 5_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
}

/** Registers `n` traffic devices on the first traffic links of the catalogue in `dataDir`, before a hub starts. */
export async function provisionTraffic(dataDir: string, n: number): Promise<{ devices: Credentials[]; assets: string[] }> {
  const links = loadCatalogue().features.filter((f) => f.properties.kind === 'traffic').slice(0, n);
  const registry = await openRegistry(dataDir);
  const created = await registry.addMany(links.map((l) => ({ kind: 'traffic' as const, asset: l.id })));
  await registry.close();
  return { devices: created.map((c) => ({ ...c })), assets: links.map((l) => l.id) };
}
