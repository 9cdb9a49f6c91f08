/** The real hub for the bench: the built `bin/cityhub.js start` as its own process on free ports. */

/**
 * The hub's per-device publish limit (50/s, bursts of 200 by default) lifted, for the steps that measure
 * the ingest pipeline itself with 20 devices publishing thousands of readings a second each.
 */
export const NO_PUBLISH_LIMIT = { CITYHUB_MQTT_PUBLISH_PER_SECOND: '1000000', CITYHUB_MQTT_PUBLISH_BURST: '10000000' } as const;
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kind } from '@cityhub/contracts';
import { assetsOfKind } from '@cityhub/contracts/catalogue';
import { openRegistry, type ScryptParams } from '@cityhub/devices';
import { ROOT, rssOf, spawnWatched, stopChild } from './procs.js';

export interface BenchHub {
  httpUrl: string;
  mqttHost: string;
  mqttPort: number;
  dataDir: string;
  proc: ChildProcess;
  rss(): { rss: number; peak: number };
  output(): string;
  /** SIGTERM (graceful: drains the spool into the store), then removes the data dir unless `keepData`. */
  stop(opts?: { keepData?: boolean }): Promise<void>;
}

export interface HubOptions {
  dataDir?: string;
  /** Extra node flags for the hub process, after the `--max-semi-space-size` every launch of the hub gives (`HUB_NODE_ARGS`). */
  nodeArgs?: string[];
  env?: Record<string, string>;
  /** Write a V8 CPU profile of the hub into this folder (node --cpu-prof). */
  cpuProfDir?: string;
}

/** The node flags the hub is started with, as `npm start`, `bin/cityhub.js` and the image give them (src/ops/heap.ts). */
export const HUB_NODE_ARGS = ['--max-semi-space-size=8'];

export async function startBenchHub(o: HubOptions = {}): Promise<BenchHub> {
  const dataDir = o.dataDir ?? (await mkdtemp(join(tmpdir(), 'cityhub-bench-hub-')));
  const env = {
    ...process.env,
    CITYHUB_DATA_DIR: dataDir,
    CITYHUB_HTTP_HOST: '127.0.0.1',
    CITYHUB_HTTP_PORT: '0',
    CITYHUB_MQTT_HOST: '127.0.0.1',
    CITYHUB_MQTT_PORT: '0',
    CITYHUB_SIMULATE: '0',
    CITYHUB_LOG_LEVEL: 'warn',
    ...o.env,
  };
  const args = [...HUB_NODE_ARGS, ...(o.nodeArgs ?? []), ...(o.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', o.cpuProfDir] : []), join(ROOT, 'bin', 'cityhub.js'), 'start'];
  const w = spawnWatched(process.execPath, args, env, /"dashboard":"(http:\/\/[^"]+?)\/?"[\s\S]*"mqtt":\["mqtt:\/\/([^:"]+):(\d+)/);
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`hub did not start in 90 s:\n${w.output()}`)), 90_000).unref());
  const m = (await Promise.race([w.ready, timeout]))!;
  return {
    httpUrl: m[1]!,
    mqttHost: m[2]!,
    mqttPort: Number(m[3]),
    dataDir,
    proc: w.proc,
    rss: () => rssOf(w.proc.pid!),
    output: () => w.output(),
    async stop(s = {}) {
      await stopChild(w.proc, 'SIGTERM', 60_000);
      if (!s.keepData && !o.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Credentials { id: string; secret: string; kind: Kind; asset: string }

/**
 * Creates devices in a data dir's registry through the registry module (what `cityhub devices add` does),
 * one per asset id given. `hashParams` lowers the scrypt cost where the registry hashes with scrypt (no key).
 */
export async function provision(dataDir: string, kind: Kind, assets: string[], o: { hashParams?: ScryptParams; syntheticAssets?: number; prefix?: string } = {}):
  Promise<Credentials[]> {
  const reg = await openRegistry(dataDir, { ...(o.hashParams && { hashParams: o.hashParams }), syntheticAssets: o.syntheticAssets ?? 0 });
  try {
    const made = await reg.addMany(assets.map((asset, i) => ({ kind, asset, ...(o.prefix && { id: `${o.prefix}-${i + 1}` }) })));
    return made.map((d) => ({ id: d.id, secret: d.secret, kind, asset: d.asset }));
  } finally {
    await reg.close();
  }
}

/** `n` asset ids of a kind from the real catalogue, cycling when `n` is larger than the kind. */
export function assetIds(kind: Kind, n: number): string[] {
  const ids = assetsOfKind(kind).map((f) => f.id);
  return Array.from({ length: n }, (_, i) => ids[i % ids.length]!);
}

/** GET a JSON document from the hub; throws on a non-2xx answer. */
export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${(await res.text()).slice(0, 300)}`);
  return (await res.json()) as T;
}

/** Where the hub's embedded store runs now (`cityhub_store_own_thread`): by default it moves once readings come fast or the writer falls behind. */
export async function storeThread(hub: BenchHub): Promise<'main' | 'own'> {
  const text = await (await fetch(`${hub.httpUrl}/metrics`)).text();
  return /^cityhub_store_own_thread 1$/m.test(text) ? 'own' : 'main';
}
