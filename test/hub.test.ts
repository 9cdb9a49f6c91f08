import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AssetCollection, LatestResponse, SeriesResponse } from '@cityhub/contracts';
import { createDuckDbStore } from '@cityhub/store';
import { CLI, startHub, waitFor, type Credentials, type TestHub } from './harness.js';

const run = promisify(execFile);

/** Waits until `asset` is the latest of its kind with `metric` = `value`; returns the time it took. */
async function waitLatest(hub: TestHub, kind: string, asset: string, metric: string, value: number, timeoutMs = 5_000): Promise<number> {
  const t0 = performance.now();
  await waitFor(async () => {
    const { body } = await hub.get<LatestResponse>(`/api/v1/latest?kind=${kind}`);
    return body.items.find((i) => i.asset === asset && i.values[metric] === value);
  }, timeoutMs, `${asset} ${metric}=${value} in /latest`);
  return performance.now() - t0;
}

describe('cityhub start, end to end on real MQTT and DuckDB', () => {
  let hub: TestHub;
  const now = Date.now();

  beforeAll(async () => {
    hub = await startHub({ simulate: 0, dataDir: undefined });
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it('serves the Thessaloniki catalogue, health and the dashboard', async () => {
    const { status, body } = await hub.get<AssetCollection>('/api/v1/assets');
    expect(status).toBe(200);
    const kinds = body.features.map((f) => f.properties.kind);
    expect(kinds.filter((k) => k === 'traffic')).toHaveLength(178);
    expect(kinds.filter((k) => k === 'wifi')).toHaveLength(20);
    expect(kinds.filter((k) => k === 'energy').length).toBeGreaterThan(10);
    expect(body.attribution).toMatch(/CERTH-HIT/);
    expect((await hub.get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await hub.get<{ status: string }>('/readyz')).body.status).toBe('ready');
    const page = await fetch(hub.httpUrl + '/');
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
  });

  it('serves the dashboard bundle from the .br and .gz copies the build wrote, and compresses API answers when asked', async () => {
    const html = await (await fetch(hub.httpUrl + '/')).text();
    const bundle = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(bundle, 'the bundle in index.html').toBeDefined();
    const onDisk = await readFile(new URL(`../dashboard/dist${bundle!}`, import.meta.url), 'utf8');
    for (const encoding of ['br', 'gzip']) {
      // fetch decodes the body; the header says what came over the wire.
      const r = await fetch(hub.httpUrl + bundle!, { headers: { 'accept-encoding': encoding } });
      expect(r.headers.get('content-encoding'), encoding).toBe(encoding);
      expect(await r.text()).toBe(onDisk);
    }
    const assets = await fetch(`${hub.httpUrl}/api/v1/assets`, { headers: { 'accept-encoding': 'gzip' } });
    expect(assets.headers.get('content-encoding')).toBe('gzip');
    expect((await assets.json() as AssetCollection).features.length).toBeGreaterThan(200);
  });

  it('takes a reading published with mqtt.js into /latest and /series', async () => {
    const dev = await hub.provision('traffic', 'link-1');
    expect(dev.id).toMatch(/^[a-z0-9-]+$/);
    expect(dev.secret.length).toBeGreaterThanOrEqual(24);
    const ts = now - 90_000;
    await hub.publish(dev, { ts, seq: 1, speed_kmh: 42.5, flow_veh_h: 900 });
    await hub.publish(dev, { ts: new Date(ts + 30_000).toISOString(), seq: 2, speed_kmh: 37.5, occupancy_pct: 22 });
    await waitLatest(hub, 'traffic', 'link-1', 'speed_kmh', 37.5);

    const from = new Date(ts - 60_000).toISOString();
    const to = new Date(now + 60_000).toISOString();
    const raw = await hub.get<SeriesResponse>(`/api/v1/series?asset=link-1&metric=speed_kmh&from=${from}&to=${to}`);
    expect(raw.status).toBe(200);
    expect(raw.body.series[0]!.points).toEqual([[new Date(ts).toISOString(), 42.5], [new Date(ts + 30_000).toISOString(), 37.5]]);
    const agg = await hub.get<SeriesResponse>(`/api/v1/series?asset=link-1&metric=speed_kmh&from=${from}&to=${to}&step=1h&agg=max`);
    expect(agg.body.series[0]!.points.map((p) => p[1])).toEqual(
      Math.floor(ts / 3_600_000) === Math.floor((ts + 30_000) / 3_600_000) ? [42.5] : [42.5, 37.5]);
    const bad = await hub.get<{ error: { code: string } }>('/api/v1/series?asset=link-1&metric=clients');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('BAD_REQUEST');
  });

  it('makes a mosquitto_pub -q 1 reading the latest value of its asset within 2 s', async () => {
    const dev = await hub.provision('wifi', 'hotspot-white-tower');
    const payload = JSON.stringify({ ts: Date.now(), seq: 7, clients: 123, rx_kbps: 2048 });
    const t0 = performance.now();
    await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(hub.mqttPort), '-V', 'mqttv311', '-q', '1',
      '-i', dev.id, '-u', dev.id, '-P', dev.secret, '-t', `city/wifi/${dev.id}/telemetry`, '-m', payload]);
    await waitLatest(hub, 'wifi', 'hotspot-white-tower', 'clients', 123, 2_000);
    const ms = performance.now() - t0;
    console.log(`mosquitto_pub → /latest: ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(2_000);
  });

  it('lets a city system with an API token follow validated readings on cityhub/live/{kind}, read-only', async () => {
    const { stdout } = await run(process.execPath, [CLI, 'tokens', 'add', '--role', 'operator', '--json'], { env: { ...process.env, CITYHUB_DATA_DIR: hub.dataDir } });
    const token = (JSON.parse(stdout) as { token: string }).token;
    await expect(mqtt.connectAsync(hub.mqttUrl, { clientId: 'svc:city-system', username: 'token', password: 'chk_00000000_nope', protocolVersion: 4, reconnectPeriod: 0 })).rejects.toThrow();
    const sys = await mqtt.connectAsync(hub.mqttUrl, { clientId: 'svc:city-system', username: 'token', password: token, protocolVersion: 4, reconnectPeriod: 0 });
    const got = new Promise<Array<{ asset: string; values: Record<string, number> }>>((r) => sys.on('message', (_t, p) => r(JSON.parse(p.toString()) as Array<{ asset: string; values: Record<string, number> }>)));
    await sys.subscribeAsync('cityhub/live/energy', { qos: 0 });
    const dev = await hub.provision('energy', 'building-rotunda');
    await hub.publish(dev, { ts: Date.now(), seq: 1, power_kw: 12.5 });
    const points = await got;
    expect(points).toEqual([expect.objectContaining({ asset: 'building-rotunda', device: dev.id, values: { power_kw: 12.5 } })]);
    await sys.endAsync();
  });

  it('refuses a wrong secret, over mqtt.js and mosquitto_pub', async () => {
    const dev = await hub.provision('energy', 'building-white-tower');
    await expect(mqtt.connectAsync(hub.mqttUrl, { clientId: dev.id, username: dev.id, password: 'not-the-secret', protocolVersion: 4, reconnectPeriod: 0 }))
      .rejects.toThrow(/bad user ?name or password|not authorized/i);
    await expect(run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(hub.mqttPort), '-V', 'mqttv311', '-q', '1',
      '-i', dev.id, '-u', dev.id, '-P', 'wrong', '-t', `city/energy/${dev.id}/telemetry`, '-m', '{}'])).rejects.toThrow(/not authori[sz]ed|bad user|Connection error/i);
    // Another device's id with this device's secret is refused too.
    const other = await hub.provision('energy', 'building-rotunda');
    await expect(mqtt.connectAsync(hub.mqttUrl, { clientId: other.id, username: other.id, password: dev.secret, protocolVersion: 4, reconnectPeriod: 0 }))
      .rejects.toThrow();
  });

  let intruder: Credentials;
  let victim: Credentials;
  let sloppy: Credentials;

  it('does not store a publish to another device\'s topic, and closes that connection', async () => {
    intruder = await hub.provision('traffic', 'link-2');
    victim = await hub.provision('traffic', 'link-3');
    const c = await mqtt.connectAsync(hub.mqttUrl, { clientId: intruder.id, username: intruder.id, password: intruder.secret, protocolVersion: 4, reconnectPeriod: 0 });
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    c.publish(`city/traffic/${victim.id}/telemetry`, JSON.stringify({ ts: Date.now(), seq: 1, speed_kmh: 11 }), { qos: 1 });
    await closed;
    c.end(true);
    // A good reading of the victim's own arrives after the refused one, so the writer has passed it.
    await hub.publish(victim, { ts: Date.now(), seq: 1, speed_kmh: 64 });
    await waitLatest(hub, 'traffic', 'link-3', 'speed_kmh', 64);
    const s = await hub.get<SeriesResponse>('/api/v1/series?asset=link-3&metric=speed_kmh');
    expect(s.body.series[0]!.points.map((p) => p[1])).toEqual([64]);
  });

  it('dead-letters malformed JSON and implausible values while keeping the good readings of the same device', async () => {
    sloppy = await hub.provision('traffic', 'link-4');
    const t = Date.now() - 10_000;
    await hub.publish(sloppy, '{"ts": 1, "seq": oops');
    await hub.publish(sloppy, [
      { ts: t, seq: 1, speed_kmh: 51 },
      { ts: t + 1_000, seq: 2, speed_kmh: 900 },
      { ts: t + 2_000, seq: 3, speed_kmh: 49, occupancy_pct: 12 },
    ]);
    await hub.publish(sloppy, { ts: t + 3_000, seq: 4, speed_kmh: 30, occupancy_pct: 150 });
    await hub.publish(sloppy, { ts: t + 4_000, seq: 5, speed: 30 });
    await waitLatest(hub, 'traffic', 'link-4', 'speed_kmh', 49);
    const s = await hub.get<SeriesResponse>(`/api/v1/series?asset=link-4&metric=speed_kmh&from=${t - 1}&to=${Date.now() + 1}`);
    expect(s.body.series[0]!.points.map((p) => p[1])).toEqual([51, 49]);
  });

  it('counts readings, rejects by reason, the spool and the store in /metrics', async () => {
    const res = await fetch(hub.httpUrl + '/metrics');
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    const value = (line: string) => Number(new RegExp(`^${line.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
    // link-1: 2, hotspot: 1, building: 1, link-3: 1, link-4: 2 accepted readings.
    expect(value('cityhub_readings_accepted_total')).toBe(7);
    expect(value('cityhub_readings_rejected_total{reason="out_of_range"}')).toBe(2);
    expect(value('cityhub_readings_rejected_total{reason="malformed_json"}')).toBe(1);
    expect(value('cityhub_readings_rejected_total{reason="topic_denied"}')).toBe(1);
    expect(value('cityhub_store_points_written_total')).toBe(7);
    expect(value('cityhub_spool_full')).toBe(0);
    // The series the Prometheus rules in deploy/prometheus read: the spool's cap (default 1 GiB), devices by status, alert deliveries.
    expect(value('cityhub_spool_cap_bytes')).toBe(1024 * 1024 * 1024);
    expect(value('cityhub_devices{status="online"}') + value('cityhub_devices{status="offline"}') + value('cityhub_devices{status="unknown"}')).toBeGreaterThan(0);
    expect(value('cityhub_alert_deliveries_recent{status="failed"}')).toBe(0);
    expect(text).toMatch(/^cityhub_store_write_seconds_count \d+$/m);
    expect(text).toMatch(/^cityhub_http_request_seconds_count\{route="\/api\/v1\/latest",method="GET",status="200"\} \d+$/m);
  });

  it('kept every dead letter with its reason in the store (read after the hub stopped)', async () => {
    expect(await hub.stop({ keepData: true })).toBe(0);
    const store = createDuckDbStore({ path: join(hub.dataDir, 'cityhub.duckdb') });
    await store.init();
    try {
      const mine = await store.listDeadLetters({ device: sloppy.id });
      expect(mine.map((d) => d.reason).sort()).toEqual(['malformed_json', 'out_of_range', 'out_of_range', 'schema']);
      expect(mine.find((d) => d.reason === 'schema')!.message).toMatch(/speed/);
      const denied = await store.listDeadLetters({ device: intruder.id });
      expect(denied).toHaveLength(1);
      expect(denied[0]!).toMatchObject({ reason: 'topic_denied', topic: `city/traffic/${victim.id}/telemetry` });
    } finally {
      await store.close();
      await rm(hub.dataDir, { recursive: true, force: true });
    }
  });
});
