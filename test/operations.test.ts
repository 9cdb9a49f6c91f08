// What an operator sees of a running hub with its simulated fleet: /metrics that count what is connected and
// pass Prometheus' own checker (promtool, Debian's prometheus package), JSON log lines with no secret in
// them, no info lines from an idle dashboard, and commands whose --help starts nothing.
import { execFile, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadCatalogue } from '@cityhub/contracts/catalogue';
import { CLI, startHub, waitFor, type TestHub } from './harness.js';

const run = promisify(execFile);
const FLEET = 12;

/** When the client's connection closed (its time in ms), or a rejection after `ms`. */
const closedAt = (c: MqttClient, ms: number) => new Promise<number>((resolve, reject) => {
  const t = setTimeout(() => reject(new Error(`still connected after ${ms} ms`)), ms);
  c.once('close', () => {
    clearTimeout(t);
    resolve(Date.now());
  });
});

/** One sample's value from a Prometheus text page. */
function sample(page: string, series: string): number | undefined {
  const line = page.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('an operated hub: metrics, logs, sessions, CLI', () => {
  let hub: TestHub;
  let token: { id: string; token: string };
  const cli = (...args: string[]) => run(process.execPath, [CLI, ...args], { env: { ...process.env, CITYHUB_DATA_DIR: hub.dataDir } });
  const metrics = async () => (await fetch(`${hub.httpUrl}/metrics`)).text();

  beforeAll(async () => {
    // Debug lines shown too, so that the request lines themselves are checked for secrets.
    hub = await startHub({ simulate: FLEET, env: { CITYHUB_SIMULATE_INTERVAL_MS: '1000', CITYHUB_BACKFILL_DAYS: '0', CITYHUB_LOG_LEVEL: 'debug' } });
    token = JSON.parse((await cli('tokens', 'add', '--role', 'operator', '--json')).stdout) as { id: string; token: string };
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it('reports every connected device and service, and the scrape passes promtool check metrics', async () => {
    await waitFor(async () => (sample(await metrics(), 'cityhub_mqtt_connected_devices') === FLEET ? true : undefined), 60_000, 'the fleet connected');
    const svc = await mqtt.connectAsync(hub.mqttUrl, { clientId: 'svc:watcher', username: 'token', password: token.token, protocolVersion: 4, reconnectPeriod: 0 });
    await expect(mqtt.connectAsync(hub.mqttUrl, { clientId: 'svc:x', username: 'token', password: 'chk_00000000_wrong', protocolVersion: 4, reconnectPeriod: 0 }))
      .rejects.toThrow(/bad user ?name or password/i);
    await fetch(`${hub.httpUrl}/`);
    const page = await metrics();
    await svc.endAsync();
    expect(sample(page, 'cityhub_mqtt_connected_services')).toBe(1);
    expect(sample(page, 'cityhub_mqtt_logins_refused_total{reason="bad_credentials"}')).toBe(1);
    expect(page).toMatch(/^cityhub_build_info\{version="\d+\.\d+\.\d+[^"]*",node="v\d+[^"]*"\} 1$/m);
    expect(page).toMatch(/^cityhub_writer_lag_seconds \d/m);
    expect(page).toMatch(/^cityhub_mqtt_limit_actions_total\{action="throttled"\} \d/m);
    expect(page).toMatch(/^cityhub_store_reopens_total 0$/m);
    // A fleet this size keeps the writer up with the store on the acknowledging thread (CITYHUB_DUCKDB_OWN_THREAD=auto).
    expect(page).toMatch(/^cityhub_store_own_thread 0$/m);
    expect(page).toMatch(/^cityhub_live_dropped_total\{what="clients_disconnected"\} 0$/m);
    // The dashboard's files are one label value, not one each.
    expect(page).not.toMatch(/route="\/assets\//);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: page, encoding: 'utf8', timeout: 30_000 });
    if (check.error) throw new Error(`promtool is needed (apt-get install prometheus): ${check.error.message}`);
    expect(`${check.stdout}${check.stderr}`).toBe('');
    expect(check.status).toBe(0);
  });

  it('writes only JSON lines with host and pid, no token anywhere, and no info line for an idle dashboard', async () => {
    const mark = hub.output().length;
    // The secret is what follows the id; it may itself hold an underscore (base64url).
    const secret = /^chk_[^_]+_(.+)$/.exec(token.token)![1]!;
    // What an open dashboard does: its page and bundle, its configuration, the catalogue, the latest readings,
    // and the live feed, held open while the fleet publishes.
    const bundle = /src="(\/assets\/[^"]+\.js)"/.exec(await (await fetch(`${hub.httpUrl}/`)).text())?.[1];
    expect(bundle).toBeDefined();
    for (const path of [bundle!, '/api/v1/config', '/api/v1/assets', '/api/v1/latest?kind=traffic']) {
      expect((await fetch(hub.httpUrl + path)).status).toBe(200);
    }
    const live = new WebSocket(`${hub.httpUrl.replace(/^http/, 'ws')}/api/v1/live?kind=traffic`);
    await new Promise((resolve, reject) => live.once('open', resolve).once('error', reject));
    // A browser's WebSocket passes ?token=; a plain GET of it, and a route that refuses the parameter, log its URL too.
    expect((await fetch(`${hub.httpUrl}/api/v1/live?kind=wifi&token=${token.token}`)).status).not.toBe(200);
    expect((await fetch(`${hub.httpUrl}/api/v1/latest?kind=wifi&token=${token.token}`)).status).toBe(400);
    expect((await fetch(`${hub.httpUrl}/api/v1/devices`, { headers: { authorization: `Bearer ${token.token}` } })).status).toBe(200);
    await fetch(`${hub.httpUrl}/api/v1/devices?token=${token.token}`, { headers: { authorization: 'Bearer chk_00000000_notatoken' } });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(live.readyState).toBe(WebSocket.OPEN);
    live.close();
    // Every line since the start is JSON: no plain-text warning (a deprecation of a dependency) among them.
    expect(hub.output().split('\n').filter((l) => l && !l.startsWith('{'))).toEqual([]);
    const lines = hub.output().slice(mark).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string; name?: string; pid: number; hostname: string; url?: string });
    expect(lines.every((l) => typeof l.pid === 'number' && typeof l.hostname === 'string')).toBe(true);
    const requests = lines.filter((l) => l.msg === 'request');
    // One line per request (the WebSocket's upgrade aside, which may log its own).
    expect(requests.filter((l) => l.url !== '/api/v1/live?kind=traffic').length).toBe(9);
    expect(requests.every((l) => l.level === 20)).toBe(true);
    expect(requests.map((l) => l.url)).toEqual(expect.arrayContaining(['/api/v1/latest?kind=wifi&token=[redacted]', '/api/v1/live?kind=wifi&token=[redacted]']));
    expect(lines.filter((l) => l.level >= 30)).toEqual([]);
    expect(hub.output()).not.toContain(secret);
    expect(hub.output()).not.toContain('notatoken');
  });

  it('keeps a device\'s id from services, and ends the sessions of a token and a device within 2 s of the CLI revoking or disabling them', async () => {
    const t = JSON.parse((await cli('tokens', 'add', '--role', 'operator', '--json')).stdout) as { id: string; token: string };
    const link = loadCatalogue().features.filter((f) => f.properties.kind === 'traffic').at(-1)!;
    const device = await hub.provision('traffic', link.id);
    const open = async (clientId: string, username: string, password: string) => {
      const c = await mqtt.connectAsync(hub.mqttUrl, { clientId, username, password, protocolVersion: 4, reconnectPeriod: 0 });
      c.on('error', () => undefined);
      return c;
    };
    const follower = await open('svc:follower', 'token', t.token);
    const kept = await open('svc:kept', 'token', token.token);
    const meter = await open(device.id, device.id, device.secret);
    // A service may not take a device's client id: refused, and the device keeps its session.
    await expect(open(device.id, 'token', t.token)).rejects.toThrow(/identifier rejected/i);
    await new Promise((r) => setTimeout(r, 200));
    expect(meter.connected).toBe(true);
    const followerClosed = closedAt(follower, 30_000);
    const meterClosed = closedAt(meter, 30_000);
    await cli('tokens', 'revoke', t.id);
    const revoked = Date.now();
    await cli('devices', 'disable', device.id);
    const disabled = Date.now();
    expect(await followerClosed - revoked).toBeLessThan(2_000);
    expect(await meterClosed - disabled).toBeLessThan(2_000);
    expect(kept.connected).toBe(true);
    await kept.endAsync();
    await expect(open(device.id, device.id, device.secret)).rejects.toThrow(/bad user ?name or password|not authorized/i);
    await expect(open('svc:again', 'token', t.token)).rejects.toThrow(/bad user ?name or password|not authorized/i);
  });

  it('prints help for every command and the version without starting anything', async () => {
    // On the hub's own ports: a command that started anything would fail to listen, not exit 0 with its help.
    const env = { ...process.env, CITYHUB_DATA_DIR: hub.dataDir, CITYHUB_HTTP_PORT: new URL(hub.httpUrl).port, CITYHUB_MQTT_PORT: String(hub.mqttPort) };
    const cityhub = (...args: string[]) => run(process.execPath, [CLI, ...args], { env, timeout: 60_000 }).then(
      (r) => ({ args: args.join(' '), code: 0, out: r.stdout }),
      (e: { code?: number; stdout?: string }) => ({ args: args.join(' '), code: e.code ?? -1, out: e.stdout ?? '' }),
    );
    const runs = await Promise.all([
      ...['start', 'broker', 'api', 'ingest'].map((cmd) => cityhub(cmd, '--help')), cityhub('start', '-h'),
      cityhub('devices', 'add', '-h'), cityhub('tokens', '--help'), cityhub('--version'), cityhub('start', '--port'),
    ]);
    for (const r of runs.slice(0, 5)) {
      expect(r.code, r.args).toBe(0);
      expect(r.out, r.args).toMatch(new RegExp(`^Usage: cityhub ${r.args.split(' ')[0]}`));
    }
    for (const r of runs.slice(5, 7)) {
      expect(r.code, r.args).toBe(0);
      expect(r.out, r.args).toMatch(/usage/i);
    }
    expect(runs[7]!.code).toBe(0);
    expect(runs[7]!.out).toMatch(/^cityhub \d+\.\d+\.\d+/);
    expect(runs[8]!.code).toBe(2);
  });

  it('stops cleanly on SIGTERM while an HTTP client holds half a request open: its connection is cut after 5 s', async () => {
    const url = new URL(hub.httpUrl);
    const slow = connect(Number(url.port), url.hostname);
    await once(slow, 'connect');
    slow.write('GET /api/v1/latest HTTP/1.1\r\nHost: hub\r\n');
    const cut = once(slow, 'close');
    // Exit status 0, not the harness's SIGKILL after 40 s: without the grace, Node waits for the request as long as it takes.
    expect(await hub.stop({ keepData: false })).toBe(0);
    await cut;
    expect(hub.output()).toContain('cut the HTTP connections still open after the grace period');
  }, 60_000);
});
