import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCatalogue } from '@cityhub/contracts/catalogue';
import { openRegistry } from '@cityhub/devices';
import { createDuckDbStore } from '@cityhub/store';
import { CLI } from './harness.js';
import { startMosquitto } from './mosquitto.js';

function startIngest(dataDir: string, url: string): { proc: ChildProcess; ready: Promise<void>; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, [CLI, 'ingest'], {
    env: { ...process.env, CITYHUB_DATA_DIR: dataDir, CITYHUB_INGEST_MQTT_URL: url, CITYHUB_INGEST_CONNECTIONS: '4', CITYHUB_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    const on = (b: Buffer) => {
      out += b.toString();
      if (out.includes('ingest is running')) resolve();
    };
    proc.stdout.on('data', on);
    proc.stderr.on('data', on);
    proc.once('exit', (c) => reject(new Error(`cityhub ingest exited with ${c}: ${out}`)));
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
  ready.catch(() => undefined);
  return { proc, ready, exited };
}

describe('cityhub ingest behind a third-party broker (Debian mosquitto)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('stores every reading published at QoS 1 exactly once, across a kill -9 of the ingest node', async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.stop());
    const dir = await mkdtemp(join(tmpdir(), 'cityhub-ingest-node-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const links = loadCatalogue().features.filter((f) => f.properties.kind === 'traffic').slice(0, 20);
    const registry = await openRegistry(dir);
    const devices = await registry.addMany(links.map((l) => ({ kind: 'traffic' as const, asset: l.id })));
    await registry.close();

    let node = startIngest(dir, broker.url);
    await node.ready;
    // mosquitto authenticates nobody here (anonymous test broker); the registry still binds devices to assets.
    const pub = await mqtt.connectAsync(broker.url, { clientId: 'test-publisher', protocolVersion: 4 });
    const t0 = Date.now() - 3_600_000;
    const PER = 100;
    const publishRound = async (from: number, to: number) => {
      const all: Promise<unknown>[] = [];
      for (let s = from; s < to; s++) {
        for (const d of devices) all.push(pub.publishAsync(`city/traffic/${d.id}/telemetry`, JSON.stringify({ ts: t0 + s * 1_000, seq: s, speed_kmh: s % 80 + 1 }), { qos: 1 }));
      }
      await Promise.all(all);
    };
    await publishRound(0, PER / 2);
    // Kill the ingest node while mosquitto holds its persistent session; publish more while it is down.
    node.proc.kill('SIGKILL');
    await node.exited;
    await publishRound(PER / 2, PER);
    node = startIngest(dir, broker.url);
    await node.ready;
    // A last reading through Debian's own client.
    await pub.endAsync();
    const { execFileSync } = await import('node:child_process');
    execFileSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(broker.port), '-q', '1', '-t', `city/traffic/${devices[0]!.id}/telemetry`,
      '-m', JSON.stringify({ ts: t0 + PER * 1_000, seq: PER, speed_kmh: 42 })]);
    // Stop gracefully and count; what mosquitto still holds for the session arrives at the next start.
    const count = async () => {
      node.proc.kill('SIGTERM');
      expect(await node.exited).toBe(0);
      const store = createDuckDbStore({ path: join(dir, 'cityhub.duckdb') });
      await store.init();
      try {
        const rows = await store.series({ assets: links.map((l) => l.id), metric: 'speed_kmh', from: t0, to: Date.now() });
        return rows.reduce((n, r) => n + r.points.length, 0);
      } finally {
        await store.close();
      }
    };
    const expected = devices.length * PER + 1;
    let stored = 0;
    for (let round = 0; round < 8; round++) {
      await new Promise((r) => setTimeout(r, 2_000));
      stored = await count();
      if (stored >= expected) break;
      node = startIngest(dir, broker.url);
      await node.ready;
    }
    expect(stored).toBe(expected);
  }, 120_000);
});
