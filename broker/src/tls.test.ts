import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBroker, type RunningBroker } from './broker.js';

const run = promisify(execFile);
const quiet = { info() {}, warn() {}, debug() {}, error() {} };

describe('broker listeners and limits with real clients', () => {
  let dir: string;
  let broker: RunningBroker;
  let tcp: number;
  let tlsPort: number;
  let wsPort: number;
  let ca: Buffer;
  const got: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cityhub-tls-'));
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
    ca = await readFile(join(dir, 'cert.pem'));
    const tls = { cert: ca, key: await readFile(join(dir, 'key.pem')) };
    broker = await createBroker({
      logger: quiet,
      limits: { maxPacketBytes: 4_096, maxConnectionsPerIp: 50, publishPerSecond: 20, publishBurst: 5, maxThrottleMs: 2_000 },
      hooks: {
        authenticate: async (id, secret) => (secret === `secret-of-${id}` ? { id, kind: 'traffic' } : null),
        telemetry: async (_d, _t, p) => { got.push(p.toString()); },
        denied: async () => {},
      },
    });
    tcp = await broker.listen('127.0.0.1', 0);
    tlsPort = await broker.listenTls('127.0.0.1', 0, tls);
    wsPort = await broker.listenWs('127.0.0.1', 0, undefined);
  });
  afterAll(async () => {
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  });
  const creds = (id: string) => ({ clientId: id, username: id, password: `secret-of-${id}`, protocolVersion: 4 as const, reconnectPeriod: 0 });

  it('serves MQTT over TLS to mqtt.js and to Debian\'s mosquitto_pub --cafile', async () => {
    const c = await mqtt.connectAsync(`mqtts://localhost:${tlsPort}`, { ...creds('tr-tls-1'), ca });
    await c.publishAsync('city/traffic/tr-tls-1/telemetry', 'over-tls', { qos: 1 });
    await c.endAsync();
    await run('mosquitto_pub', ['-h', 'localhost', '-p', String(tlsPort), '--cafile', join(dir, 'cert.pem'), '-V', 'mqttv311', '-q', '1',
      '-i', 'tr-tls-2', '-u', 'tr-tls-2', '-P', 'secret-of-tr-tls-2', '-t', 'city/traffic/tr-tls-2/telemetry', '-m', 'mosquitto-over-tls']);
    expect(got).toEqual(expect.arrayContaining(['over-tls', 'mosquitto-over-tls']));
    // A client that does not trust the certificate is refused by its own TLS check.
    await expect(mqtt.connectAsync(`mqtts://localhost:${tlsPort}`, creds('tr-tls-3'))).rejects.toThrow(/self[- ]signed|certificate/i);
  });

  it('serves MQTT over WebSocket for browser clients', async () => {
    const c = await mqtt.connectAsync(`ws://127.0.0.1:${wsPort}/mqtt`, creds('tr-ws-1'));
    await c.publishAsync('city/traffic/tr-ws-1/telemetry', 'over-ws', { qos: 1 });
    await c.endAsync();
    expect(got).toContain('over-ws');
  });

  it('closes a connection that sends a packet over the size limit', async () => {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${tcp}`, creds('tr-big'));
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    c.publish('city/traffic/tr-big/telemetry', 'x'.repeat(10_000), { qos: 1 });
    await closed;
    expect(got).not.toContain('x'.repeat(10_000));
    expect(broker.limitStats().oversize).toBeGreaterThan(0);
  });

  it('throttles a device over its publish rate by holding PUBACKs, and loses nothing', async () => {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${tcp}`, creds('tr-fast'));
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 25 }, (_, i) => c.publishAsync('city/traffic/tr-fast/telemetry', `fast-${i}`, { qos: 1 })));
    const ms = performance.now() - t0;
    await c.endAsync();
    // 5 at once, then 20 at 20/s: about a second.
    expect(ms).toBeGreaterThan(800);
    expect(got.filter((g) => g.startsWith('fast-'))).toHaveLength(25);
    expect(broker.limitStats().throttled).toBeGreaterThanOrEqual(20);
  });

  it('refuses raw garbage and a CONNECT with a huge declared length without falling over', async () => {
    for (const bytes of [Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f]), Buffer.from('GET / HTTP/1.1\r\n\r\n'), Buffer.alloc(64, 0xff)]) {
      await new Promise<void>((resolve) => {
        const s = connect(tcp, '127.0.0.1', () => s.write(bytes));
        s.on('close', () => resolve());
        s.on('error', () => resolve());
        setTimeout(() => { s.destroy(); resolve(); }, 2_000);
      });
    }
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${tcp}`, creds('tr-after'));
    await c.publishAsync('city/traffic/tr-after/telemetry', 'still-alive', { qos: 1 });
    await c.endAsync();
    expect(got).toContain('still-alive');
  });
});
