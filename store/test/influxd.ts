import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A private InfluxDB 1.x server for tests and benchmarks: Debian's `influxd` (package `influxdb`, 1.6.7 on
 * these machines), started by hand — not through systemd — with a generated config whose meta, data and
 * WAL directories live in a temporary directory and whose HTTP and RPC ports are free loopback ports, so
 * that several can run side by side and none touches /var/lib/influxdb.
 */
export interface Influxd {
  /** Base URL of its HTTP API, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** The admin user, when started with `auth: true`. */
  readonly admin: { username: string; password: string } | undefined;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its directory. */
  stop(): Promise<void>;
  /** Sends a signal (default SIGKILL) to the server and leaves its files: an outage. */
  kill(signal?: NodeJS.Signals): void;
  /** Sends SIGSTOP and resolves once the kernel shows the server stopped (`T` in /proc/<pid>/stat): a hang. */
  stopped(): Promise<void>;
  /** Starts the server again on the same directories and ports (killing it first if it still runs). */
  restart(): Promise<void>;
}

/** Options of {@link startInfluxd}. */
export interface InfluxdOptions {
  /** Turn on HTTP authentication and create an admin user (its credentials are in `admin`). */
  auth?: boolean;
}

const INFLUXD = '/usr/bin/influxd';

/** A port that was free a moment ago (listen on 0, read it, close). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The config: everything a test does not need is off, and everything it keeps is inside `dir`. */
function config(dir: string, httpPort: number, rpcPort: number, auth: boolean): string {
  return `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${join(dir, 'meta')}"
  logging-enabled = false

[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  query-log-enabled = false

[monitor]
  store-enabled = false

[continuous_queries]
  enabled = false

[shard-precreation]
  enabled = false

[http]
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = ${String(auth)}
  log-enabled = false
  pprof-enabled = false

[logging]
  level = "error"
  suppress-logo = true
`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const exited = (c: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) resolve();
    else c.once('exit', () => resolve());
  });

/** Runs influxd on `file` and resolves, with the process, once `url`/ping answers 204. */
async function launch(file: string, url: string): Promise<ChildProcess> {
  let log = '';
  const c = spawn(INFLUXD, ['run', '-config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  // A test process that ends without stop() (a crash, a timeout) must not leave influxd behind.
  const orphan = () => c.kill('SIGKILL');
  process.once('exit', orphan);
  c.once('exit', () => process.off('exit', orphan));
  const keep = (b: Buffer) => (log = (log + b.toString()).slice(-4_000));
  c.stdout?.on('data', keep);
  c.stderr?.on('data', keep);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (c.exitCode !== null || c.signalCode !== null) {
      throw new Error(`influxd exited (${c.exitCode ?? c.signalCode}) while starting: ${log}`);
    }
    const ok = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.status === 204, () => false);
    if (ok) return c;
    await sleep(50);
  }
  c.kill('SIGKILL');
  throw new Error(`influxd did not answer /ping within 30 s: ${log}`);
}

/** Stops influxd with SIGTERM, and SIGKILL if it lingers past 5 s. */
async function halt(c: ChildProcess | undefined): Promise<void> {
  if (!c || c.exitCode !== null || c.signalCode !== null) return;
  c.kill('SIGTERM');
  const done = exited(c);
  const timer = setTimeout(() => c.kill('SIGKILL'), 5_000);
  await done;
  clearTimeout(timer);
}

/** Creates the admin user of a server with auth on and no user yet. */
async function createAdmin(url: string): Promise<NonNullable<Influxd['admin']>> {
  const admin = { username: 'admin', password: 'admin-secret' };
  // With auth on and no user yet, InfluxDB 1.x lets exactly this statement through unauthenticated.
  const body = new URLSearchParams({ q: `CREATE USER "admin" WITH PASSWORD '${admin.password}' WITH ALL PRIVILEGES` });
  const res = await fetch(`${url}/query`, { method: 'POST', body });
  if (!res.ok) throw new Error(`could not create the admin user: ${res.status} ${await res.text()}`);
  return admin;
}

/** Starts a private influxd and resolves once `/ping` answers 204. */
export async function startInfluxd(opts: InfluxdOptions = {}): Promise<Influxd> {
  if (!existsSync(INFLUXD)) {
    throw new Error(`${INFLUXD} is missing: install Debian's InfluxDB with \`apt-get install -y influxdb\` (.ci/run does)`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'cityhub-influxd-'));
  const [httpPort, rpcPort] = [await freePort(), await freePort()];
  const file = join(dir, 'influxdb.conf');
  await writeFile(file, config(dir, httpPort, rpcPort, opts.auth === true));
  const url = `http://127.0.0.1:${httpPort}`;
  let child: ChildProcess;
  try {
    child = await launch(file, url);
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const admin = opts.auth ? await createAdmin(url) : undefined;

  return {
    url,
    admin,
    async stop() {
      await halt(child);
      await rm(dir, { recursive: true, force: true });
    },
    kill(signal: NodeJS.Signals = 'SIGKILL') {
      child.kill(signal);
    },
    async stopped() {
      child.kill('SIGSTOP');
      const stat = `/proc/${child.pid}/stat`;
      // The state is the field after the command's closing parenthesis.
      const state = async () => (await readFile(stat, 'utf8')).replace(/^.*\) /s, '')[0];
      for (const t0 = Date.now(); (await state()) !== 'T';) {
        if (Date.now() - t0 > 5_000) throw new Error(`influxd (pid ${child.pid}) did not stop within 5 s of SIGSTOP`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async restart() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited(child);
      }
      child = await launch(file, url);
    },
  };
}
