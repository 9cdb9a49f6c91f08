/**
 * A trickle of lone readings on `cityhub start`: the acknowledging thread sleeps through a lone reading's commit
 * delay (CITYHUB_SPOOL_NAP) and takes what arrived meanwhile with it, but never while an HTTP client waits on it.
 * Real hub, real MQTT clients, real WebSocket; the delay is raised to 400 ms so that its effects stand out.
 */
import mqtt, { type MqttClient } from 'mqtt';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Credentials, type TestHub } from './harness.js';

const DELAY_MS = 400;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('cityhub start at a trickle: lone readings wait asleep', () => {
  let hub: TestHub;
  const clients: MqttClient[] = [];
  let devices: Array<{ device: Credentials; client: MqttClient }> = [];
  let seq = 0;

  beforeAll(async () => {
    hub = await startHub({ env: { CITYHUB_SPOOL_COMMIT_DELAY_MS: String(DELAY_MS) } });
    devices = await Promise.all(['link-1', 'link-2', 'link-3', 'link-4'].map(async (asset) => {
      const device = await hub.provision('traffic', asset);
      const client = await mqtt.connectAsync(hub.mqttUrl, { clientId: device.id, username: device.id, password: device.secret, protocolVersion: 4, reconnectPeriod: 0 });
      clients.push(client);
      return { device, client };
    }));
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync()));
    await hub?.stop();
  });

  /** One reading from device `i` (each device's first in this test is lone: none from it in the last second). */
  const publish = (i: number) => {
    const { device, client } = devices[i]!;
    return client.publishAsync(`city/traffic/${device.id}/telemetry`, JSON.stringify({ ts: Date.now() - 1_000, seq: ++seq, speed_kmh: 30 }), { qos: 1 });
  };
  /** The spool's counters from /metrics (an HTTP request: the thread may not sleep for a second after it). */
  const counters = async () => {
    const text = await (await fetch(`${hub.httpUrl}/metrics`)).text();
    const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    return { naps: read('cityhub_spool_naps_total'), writes: read('cityhub_spool_fsyncs_total') };
  };

  it('takes a reading that arrives during a lone one\'s sleep into the same spool write', async () => {
    const before = await counters();
    await sleep(1_300);
    const t0 = performance.now();
    const first = publish(0);
    await sleep(100);
    const second = publish(1);
    await Promise.all([first, second]);
    const took = performance.now() - t0;
    const after = await counters();
    expect(after.naps - before.naps).toBe(1);
    expect(after.writes - before.writes).toBe(1);
    // The first waited out the delay asleep; the second was acknowledged with it.
    expect(took).toBeGreaterThanOrEqual(DELAY_MS - 50);
    expect(took).toBeLessThan(DELAY_MS + 1_000);
  });

  it('answers an HTTP request that arrives during a sleep within the rest of it, and does not sleep while one was answered in the last second', async () => {
    await sleep(1_300);
    const acked = publish(2);
    await sleep(50);
    const t0 = performance.now();
    expect((await fetch(`${hub.httpUrl}/healthz`)).status).toBe(200);
    const waited = performance.now() - t0;
    expect(waited).toBeLessThan(DELAY_MS + 300);
    await acked;
    // Right after an answer, a lone reading waits on a timer: counted as a write, not a sleep.
    const before = await counters();
    await publish(3);
    const after = await counters();
    expect(after.naps - before.naps).toBe(0);
    expect(after.writes - before.writes).toBe(1);
  });

  it('does not sleep within a second of a device sending back to back, whose next message would wait out the sleep', async () => {
    const before = await counters();
    await sleep(1_300);
    // Device 2's first reading is lone and sleeps; its second arrives during the sleep: back to back.
    const first = publish(2);
    await sleep(50);
    await Promise.all([first, publish(2)]);
    // Device 3's lone reading then waits on the timer.
    await publish(3);
    const after = await counters();
    expect(after.naps - before.naps).toBe(1);
    expect(after.writes - before.writes).toBe(2);
  });

  it('does not sleep while a WebSocket is open (the live feed)', async () => {
    const ws = new WebSocket(`${hub.httpUrl.replace(/^http/, 'ws')}/api/v1/live?kind=traffic`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    try {
      const before = await counters();
      await sleep(1_300);
      await publish(0);
      await publish(1);
      const after = await counters();
      expect(after.naps - before.naps).toBe(0);
    } finally {
      ws.close();
    }
  });

  it('does not sleep for a second after a device connects (a fleet coming up needs the thread)', async () => {
    const before = await counters();
    await sleep(1_300);
    const { device } = devices[3]!;
    // The device connects again (its new session replaces the old) and sends at once.
    const again = await mqtt.connectAsync(hub.mqttUrl, { clientId: device.id, username: device.id, password: device.secret, protocolVersion: 4, reconnectPeriod: 0 });
    clients.push(again);
    await again.publishAsync(`city/traffic/${device.id}/telemetry`, JSON.stringify({ ts: Date.now() - 1_000, seq: ++seq, speed_kmh: 30 }), { qos: 1 });
    const after = await counters();
    expect(after.naps - before.naps).toBe(0);
    expect(after.writes - before.writes).toBe(1);
  });
});
