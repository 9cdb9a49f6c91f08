import { connect as tcp } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBroker, type RunningBroker } from './broker.js';

/** Sessions on a real aedes with real mqtt.js clients: who may take which client id, and sessions that end. */
describe('MQTT sessions', () => {
  let broker: RunningBroker;
  let url: string;
  let port: number;
  const disabled = new Set<string>();
  const tokens = new Set(['t1']);
  const lines: Array<{ msg: string } & Record<string, unknown>> = [];
  const clients: MqttClient[] = [];

  beforeEach(async () => {
    disabled.clear();
    lines.length = 0;
    const log = (o: object, msg?: string) => { lines.push({ ...o, msg: msg ?? '' }); };
    broker = await createBroker({
      logger: { info: log, warn: log, debug: log, error: log },
      hooks: {
        authenticate: async (id, secret) => (id.startsWith('tr-') && secret === `secret-${id}` && !disabled.has(id) ? { id, kind: 'traffic' } : null),
        telemetry: async () => {},
        denied: async () => {},
        enabled: (id) => !disabled.has(id),
        service: (u, s) => (u === 'token' && tokens.has(s) ? { name: `token:${s}` } : null),
      },
    });
    port = await broker.listen('127.0.0.1', 0);
    url = `mqtt://127.0.0.1:${port}`;
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.end(true);
    await broker.close();
  });

  const open = async (clientId: string, username: string, password: string) => {
    const c = await mqtt.connectAsync(url, { clientId, username, password, protocolVersion: 4, reconnectPeriod: 0 });
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  };
  const until = async (f: () => boolean, ms = 2_000) => {
    for (const t0 = Date.now(); !f() && Date.now() - t0 < ms;) await new Promise((r) => setTimeout(r, 10));
    return f();
  };
  /** The CONNACK return code a raw CONNECT gets, or null when the connection closes without one. */
  const connack = (clientId: string, username?: string, password?: string) => new Promise<number | null>((resolve) => {
    const s = tcp(port, '127.0.0.1');
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (p) => { if (p.cmd === 'connack') resolve(p.returnCode ?? null); s.destroy(); });
    s.on('data', (d) => parser.parse(d));
    s.on('close', () => resolve(null));
    s.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId, clean: true, keepalive: 30,
      ...(username && { username }), ...(password && { password: Buffer.from(password) }) }));
  });

  it('gives a service the reserved svc: form only: with a device\'s id it is refused and the device stays', async () => {
    const device = await open('tr-0001', 'tr-0001', 'secret-tr-0001');
    await expect(open('tr-0001', 'token', 't1')).rejects.toThrow(/identifier rejected/i);
    await new Promise((r) => setTimeout(r, 200));
    expect(device.connected).toBe(true);
    await device.publishAsync('city/traffic/tr-0001/telemetry', '{}', { qos: 1 });
    const svc = await open('svc:city', 'token', 't1');
    expect(svc.connected).toBe(true);
    expect(broker.connectedDevices()).toBe(1);
    expect(broker.serviceClients()).toBe(1);
    // No device can take the service form: its client id must be its device id, which never holds a ':'.
    expect(await connack('svc:tr-0001', 'tr-0001', 'secret-tr-0001')).toBe(4);
    expect(broker.refusedLogins().get('service_client_id')).toBe(1);
    expect(String(lines.find((l) => l.msg === 'login refused' && l.reason === 'service_client_id')?.address)).toMatch(/127\.0\.0\.1/);
  });

  it('answers an empty client id with CONNACK 2 and wrong credentials with CONNACK 4', async () => {
    expect(await connack('', 'tr-0001', 'secret-tr-0001')).toBe(2);
    expect(await connack('tr-0001', 'tr-0001', 'wrong')).toBe(4);
    expect(await connack('svc:x', 'token', 'wrong')).toBe(4);
    expect(await connack('svc:x')).toBe(4);
    expect(await connack('someone', 'tr-0001', 'secret-tr-0001')).toBe(4);
    expect(Object.fromEntries(broker.refusedLogins())).toEqual({ empty_client_id: 1, bad_credentials: 2, client_id_mismatch: 1, no_credentials: 1 });
    expect(broker.connectedDevices()).toBe(0);
  });

  it('ends the sessions of a disabled device and a revoked token, and refuses a disabled device\'s status', async () => {
    const device = await open('tr-0002', 'tr-0002', 'secret-tr-0002');
    const svc = await open('svc:follower', 'token', 't1');
    expect(broker.connectedDevices()).toBe(1);
    disabled.add('tr-0002');
    // Before its session is swept, a disabled device's publish is refused (and the connection closed).
    const closed = new Promise<void>((r) => device.once('close', () => r()));
    device.publish('city/traffic/tr-0002/status', 'online', { qos: 1 });
    await closed;
    const again = await open('tr-0003', 'tr-0003', 'secret-tr-0003');
    disabled.add('tr-0003');
    tokens.delete('t1');
    const check = { device: (id: string) => !disabled.has(id), service: (name: string) => tokens.has(name.slice(6)) };
    expect(broker.evict(check)).toBe(2);
    expect(await until(() => !again.connected && !svc.connected)).toBe(true);
    expect(await until(() => broker.connectedDevices() === 0 && broker.serviceClients() === 0)).toBe(true);
  });
  it('keeps neither the CONNECT (its password) nor a stream for unparsed bytes while a device is connected', async () => {
    const device = await open('tr-0005', 'tr-0005', 'secret-tr-0005');
    const held = (broker.aedes as unknown as { clients: Record<string, { _parser: { settings: object; _list: object } }> }).clients['tr-0005']!;
    expect(held._parser.settings).toEqual({ protocolVersion: 4 });
    expect('pipe' in held._parser._list).toBe(false);
    // Its publishes still parse and are acknowledged (mqtt.js settles a QoS 1 publish on its PUBACK), one at
    // a time and many in one write.
    await device.publishAsync('city/traffic/tr-0005/telemetry', '{}', { qos: 1 });
    await Promise.all(Array.from({ length: 50 }, (_, i) => device.publishAsync('city/traffic/tr-0005/telemetry', `{"n":${i}}`, { qos: 1 })));
    expect(device.connected).toBe(true);
  });
});
