/**
 * A private InfluxDB 1.x for the history step: Debian's influxd started by hand with its data, meta and
 * WAL in a temp dir and its HTTP and RPC ports on free loopback ports (FACTS.md), never via systemd.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnWatched, stopChild } from './procs.js';

export const INFLUXD = '/usr/bin/influxd';

export interface BenchInfluxd { url: string; version: string; stop(): Promise<void> }

export async function startInfluxd(): Promise<BenchInfluxd> {
  if (!existsSync(INFLUXD)) throw new Error('influxd is not installed: apt-get install -y influxdb');
  const dir = await mkdtemp(join(tmpdir(), 'cityhub-bench-influxd-'));
  const [http, rpc] = [await freePort(), await freePort()];
  const conf = join(dir, 'influxdb.conf');
  await writeFile(conf, `reporting-disabled = true
bind-address = "127.0.0.1:${rpc}"
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
[http]
  bind-address = "127.0.0.1:${http}"
  log-enabled = false
[logging]
  level = "error"
  suppress-logo = true
`);
  const w = spawnWatched(INFLUXD, ['-config', conf], process.env);
  const url = `http://127.0.0.1:${http}`;
  const end = Date.now() + 30_000;
  let version = 'unknown';
  for (;;) {
    try {
      const res = await fetch(`${url}/ping`);
      version = res.headers.get('x-influxdb-version') ?? version;
      if (res.status === 204) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > end || w.proc.exitCode !== null) throw new Error(`influxd did not start:\n${w.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    version,
    async stop() {
      await stopChild(w.proc, 'SIGTERM', 10_000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
