/**
 * The hub under the two loads that used to stall every device: many live WebSocket clients with a
 * 5,000-reading message, and a flood of wrong passwords for a known device id. Bounds are generous: the
 * figures belong to the bench (`npm run bench -- --steps live,auth`).
 */
import { fork } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startHub, waitFor, type Credentials, type TestHub } from './harness.js';

const CLIENTS = 300;

/** The hub process's resident memory, in MiB (Linux). */
async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** A device connected over mqtt.js; `publish` resolves on the PUBACK and returns how long it took, in ms. */
async function device(hub: TestHub, d: Credentials): Promise<{ client: MqttClient; publish(payload: unknown): Promise<number> }> {
  const client = await mqtt.connectAsync(hub.mqttUrl, { clientId: d.id, username: d.id, password: d.secret, protocolVersion: 4, reconnectPeriod: 0 });
  return {
    client,
    async publish(payload) {
      const t0 = performance.now();
      await client.publishAsync(`city/${d.kind}/${d.id}/telemetry`, JSON.stringify(payload), { qos: 1 });
      return performance.now() - t0;
    },
  };
}

/** `n` readings of a traffic link, a second apart, ending a minute ago. */
function readings(n: number, seq0: number): Array<{ ts: number; seq: number; speed_kmh: number }> {
  const end = Date.now() - 60_000;
  return Array.from({ length: n }, (_, i) => ({ ts: end - (n - i) * 1_000, seq: seq0 + i, speed_kmh: 20 + (i % 50) }));
}

/** Opens a live client; resolves with its socket once its hello arrived, or its close code if it was closed first. */
function liveClient(url: string): Promise<{ ws: WebSocket; closed: number | null; reason: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}/api/v1/live?kind=traffic`);
    ws.once('message', () => resolve({ ws, closed: null, reason: '' }));
    ws.on('close', (code, reason) => resolve({ ws, closed: code, reason: reason.toString() }));
    ws.on('error', reject);
  });
}

/** The crowd of live clients in a process of its own (bench/gen/live-crowd.ts), so that this one stays free to measure. */
function crowd(): { ask<R>(msg: object): Promise<R>; kill(): void } {
  const child = fork(join(ROOT, 'bench', 'gen', 'live-crowd.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return {
    ask: <R>(msg: object) => new Promise<R>((resolve, reject) => {
      child.once('message', (m: { result: R }) => resolve(m.result));
      child.once('exit', (code) => reject(new Error(`live crowd exited with ${code}`)));
      child.send(msg);
    }),
    kill: () => child.kill('SIGKILL'),
  };
}

describe('the hub with 300 live clients and a 5,000-reading message', () => {
  let hub: TestHub;
  let creds: Credentials;
  let ws: string;

  beforeAll(async () => {
    hub = await startHub({ env: { CITYHUB_LIVE_MAX_CLIENTS: String(CLIENTS), CITYHUB_LIVE_MAX_CLIENTS_PER_IP: String(CLIENTS) } });
    creds = await hub.provision('traffic', 'link-1');
    ws = hub.httpUrl.replace(/^http/, 'ws');
  }, 60_000);
  afterAll(async () => hub?.stop());

  it('acknowledges promptly, keeps its memory bounded, feeds every client and refuses one over the limit with 4029', async () => {
    const d = await device(hub, creds);
    try {
      // Baseline, without live clients.
      const baseline = await d.publish(readings(5_000, 1));
      const clients = crowd();
      try {
        const started = await clients.ask<{ open: number; refused: string[] }>({ type: 'start', url: `${ws}/api/v1/live?kind=traffic`, n: CLIENTS });
        expect(started).toEqual({ open: CLIENTS, refused: [] });
        const over = await liveClient(ws);
        expect(over.closed).toBe(4029);
        expect(over.reason).toMatch(/too many live clients/);
        const rssBefore = await rssMb(hub.proc.pid!);
        const loaded = await d.publish(readings(5_000, 10_001));
        const healthz = performance.now();
        expect((await fetch(`${hub.httpUrl}/healthz`)).status).toBe(200);
        const healthzMs = performance.now() - healthz;
        // Generous: the feed no longer holds the PUBACK (it took 8 s with 100 clients before).
        expect(loaded).toBeLessThan(Math.max(3_000, 10 * baseline));
        expect(healthzMs).toBeLessThan(3_000);
        // Every client gets the readings, or at least the newest of the link if it fell behind.
        await waitFor(async () => ((await clients.ask<{ minReadings: number }>({ type: 'report' })).minReadings >= 1 ? true : undefined), 30_000, 'readings on every live client');
        // 300 clients × 5,000 readings × ~150 bytes would be 225 MB if each held its own copy.
        expect(await rssMb(hub.proc.pid!) - rssBefore).toBeLessThan(200);
        await clients.ask({ type: 'stop' });
      } finally {
        clients.kill();
      }
      // A slot freed is a slot taken again.
      await waitFor(async () => {
        const again = await liveClient(ws);
        again.ws.terminate();
        return again.closed === null ? true : undefined;
      }, 10_000, 'a live slot to free up');
    } finally {
      await d.client.endAsync();
    }
  }, 120_000);

  it('keeps a legitimate device\'s PUBACK prompt through 300 concurrent wrong-password connects for its id', async () => {
    const d = await device(hub, creds);
    try {
      const baseline = await d.publish(readings(10, 20_001));
      const flood = Promise.allSettled(Array.from({ length: 300 }, (_, i) => mqtt.connectAsync(hub.mqttUrl, {
        clientId: creds.id, username: creds.id, password: `guess-${i}`, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 30_000,
      })));
      const acks: number[] = [];
      for (let i = 0; i < 10; i++) acks.push(await d.publish(readings(10, 20_100 + i * 10)));
      const settled = await flood;
      expect(settled.every((s) => s.status === 'rejected')).toBe(true);
      // Generous: the flood held it for more than 20 s before.
      expect(Math.max(...acks)).toBeLessThan(Math.max(2_000, 20 * baseline));
      // The device itself reconnects at once: its secret was verified before, no hashing while its id backs off.
      const again = await device(hub, creds);
      await again.client.endAsync();
    } finally {
      await d.client.endAsync().catch(() => undefined);
    }
  }, 120_000);
});
