import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeviceIdentity } from './acl.js';
import { createBroker, type BrokerHooks, type RunningBroker } from './broker.js';

const quiet = { info() {}, warn() {}, debug() {}, error() {} };
const devices: Record<string, { secret: string; kind: DeviceIdentity['kind'] }> = {
  'tr-0001': { secret: 's3cret-one', kind: 'traffic' },
  'tr-0002': { secret: 's3cret-two', kind: 'traffic' },
};

describe('broker hooks on a real aedes', () => {
  let broker: RunningBroker;
  let url: string;
  const events: string[] = [];
  let telemetry: BrokerHooks['telemetry'];
  const clients: MqttClient[] = [];

  beforeEach(async () => {
    events.length = 0;
    telemetry = async () => {};
    broker = await createBroker({
      logger: quiet,
      hooks: {
        authenticate: async (id, secret) => {
          const d = devices[id];
          return d && d.secret === secret ? { id, kind: d.kind } : null;
        },
        telemetry: (d, t, p) => telemetry(d, t, p),
        denied: async (d, topic) => { events.push(`denied ${d?.id} ${topic}`); },
        status: (d, s) => events.push(`status ${d.id} ${s}`),
        service: (username, secret) => (username === 'watcher' && secret === 'watcher-secret' ? { name: 'watcher' } : null),
      },
    });
    url = `mqtt://127.0.0.1:${await broker.listen('127.0.0.1', 0)}`;
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.end(true);
    await broker.close();
  });

  const connect = async (id: string, password: string, extra: mqtt.IClientOptions = {}) => {
    const c = await mqtt.connectAsync(url, { clientId: id, username: id, password, protocolVersion: 4, reconnectPeriod: 0, ...extra });
    clients.push(c);
    return c;
  };

  it('refuses wrong secrets, unknown devices and a client id that is not the device id', async () => {
    await expect(connect('tr-0001', 'nope')).rejects.toThrow(/bad user ?name or password/i);
    await expect(connect('tr-9999', 'x')).rejects.toThrow(/bad user ?name or password/i);
    await expect(mqtt.connectAsync(url, { clientId: 'someone-else', username: 'tr-0001', password: 's3cret-one', protocolVersion: 4, reconnectPeriod: 0 }))
      .rejects.toThrow(/bad user ?name or password/i);
  });

  it('lets a service client subscribe to every device\'s readings, never publish nor reach $SYS', async () => {
    const w = await mqtt.connectAsync(url, { clientId: 'svc:any-client-id', username: 'watcher', password: 'watcher-secret', protocolVersion: 4, reconnectPeriod: 0 });
    clients.push(w);
    expect(broker.serviceClients()).toBe(1);
    const granted = await w.subscribeAsync(['city/+/+/telemetry', 'cityhub/alerts'], { qos: 1 });
    expect(granted.map((g) => g.qos)).toEqual([1, 1]);
    await expect(w.subscribeAsync('$SYS/#', { qos: 1 })).rejects.toThrow(/subscribe error/i);
    await expect(w.subscribeAsync('#', { qos: 1 })).rejects.toThrow(/subscribe error/i);
    const got = new Promise<string>((r) => w.once('message', (topic, payload) => r(`${topic} ${payload.toString()}`)));
    const d = await connect('tr-0002', 's3cret-two');
    await d.publishAsync('city/traffic/tr-0002/telemetry', '{"n":1}', { qos: 1 });
    expect(await got).toBe('city/traffic/tr-0002/telemetry {"n":1}');
    const closed = new Promise<void>((r) => w.once('close', () => r()));
    w.publish('city/traffic/tr-0001/telemetry', '{}', { qos: 1 });
    await closed;
    expect(events).toContain('denied undefined city/traffic/tr-0001/telemetry');
    for (let i = 0; i < 50 && broker.serviceClients() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(broker.serviceClients()).toBe(0);
    // A wrong service secret is checked as a device's credentials, and refused.
    await expect(mqtt.connectAsync(url, { clientId: 'watcher', username: 'watcher', password: 'nope', protocolVersion: 4, reconnectPeriod: 0 })).rejects.toThrow(/bad user ?name or password/i);
  });

  it('sends the PUBACK only after the telemetry hook resolved', async () => {
    let release!: () => void;
    telemetry = () => new Promise<void>((r) => { release = r; });
    const c = await connect('tr-0001', 's3cret-one');
    let acked = false;
    const pub = c.publishAsync('city/traffic/tr-0001/telemetry', '{}', { qos: 1 }).then(() => { acked = true; });
    await new Promise((r) => setTimeout(r, 200));
    expect(acked).toBe(false);
    release();
    await pub;
    expect(acked).toBe(true);
  });

  it('sends no PUBACK and closes the connection when the reading could not be made durable', async () => {
    telemetry = () => Promise.reject(new Error('disk full'));
    const c = await connect('tr-0001', 's3cret-one');
    let acked = false;
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    c.publish('city/traffic/tr-0001/telemetry', '{}', { qos: 1 }, (err) => { if (!err) acked = true; });
    await closed;
    expect(acked).toBe(false);
  });

  it('refuses a publish to another device\'s topic and reports it', async () => {
    const c = await connect('tr-0001', 's3cret-one');
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    c.publish('city/traffic/tr-0002/telemetry', '{}', { qos: 1 });
    await closed;
    expect(events).toContain('denied tr-0001 city/traffic/tr-0002/telemetry');
  });

  it('grants subscriptions only inside the device\'s own subtree', async () => {
    const c = await connect('tr-0001', 's3cret-one');
    // mqtt.js rejects a SUBACK with any 0x80; the packet says which filters were refused.
    await expect(c.subscribeAsync(['city/traffic/tr-0001/#', 'city/#', 'city/traffic/tr-0002/status']))
      .rejects.toMatchObject({ packet: { granted: [0, 128, 128] } });
    await expect(c.subscribeAsync('city/traffic/tr-0001/#')).resolves.toEqual([expect.objectContaining({ qos: 0 })]);
  });

  it('keeps status retained, and publishes the last will as offline', async () => {
    const c = await connect('tr-0001', 's3cret-one', { will: { topic: 'city/traffic/tr-0001/status', payload: Buffer.from('offline'), qos: 1, retain: true } });
    await c.publishAsync('city/traffic/tr-0001/status', 'online', { qos: 1, retain: true });
    const watcher = await connect('tr-0002', 's3cret-two');
    await expect(watcher.subscribeAsync('city/traffic/tr-0001/status')).rejects.toMatchObject({ packet: { granted: [128] } });
    // The connection drops without a DISCONNECT: the broker publishes the will.
    c.stream.destroy();
    for (let i = 0; i < 100 && !events.includes('status tr-0001 offline'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(events).toEqual(['status tr-0001 online', 'status tr-0001 offline']);
    // The retained status a device (or the hub) sees next is the will's.
    const again = await connect('tr-0001', 's3cret-one', { clean: true });
    const got = new Promise<string>((r) => again.once('message', (_t, p) => r(p.toString())));
    await again.subscribeAsync('city/traffic/tr-0001/status');
    expect(await got).toBe('offline');
  });

  it('does not publish the will of a session taken over by a newer connection of the same device', async () => {
    const will = { topic: 'city/traffic/tr-0001/status', payload: Buffer.from('offline'), qos: 1 as const, retain: true };
    const old = await connect('tr-0001', 's3cret-one', { will, reconnectPeriod: 0 });
    await old.publishAsync('city/traffic/tr-0001/status', 'online', { qos: 1, retain: true });
    const closed = new Promise<void>((r) => old.once('close', () => r()));
    // The same device connects again while its old connection is open (a NAT that forgot the old one).
    const fresh = await connect('tr-0001', 's3cret-one', { will });
    await closed;
    await fresh.publishAsync('city/traffic/tr-0001/status', 'online', { qos: 1, retain: true });
    await new Promise((r) => setTimeout(r, 100));
    expect(events.filter((e) => e.startsWith('status tr-0001'))).toEqual(['status tr-0001 online', 'status tr-0001 online']);
    // The retained status stays the new session's; its own will still goes out when it drops.
    fresh.stream.destroy();
    for (let i = 0; i < 100 && !events.includes('status tr-0001 offline'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(events.filter((e) => e.startsWith('status tr-0001'))).toEqual(['status tr-0001 online', 'status tr-0001 online', 'status tr-0001 offline']);
  });

  it('acknowledges an invalid status payload once it is dead-lettered, and keeps the connection', async () => {
    const c = await connect('tr-0001', 's3cret-one');
    await c.publishAsync('city/traffic/tr-0001/status', 'maybe', { qos: 1, retain: true });
    expect(c.connected).toBe(true);
    expect(events.some((e) => e.startsWith('denied tr-0001 city/traffic/tr-0001/status'))).toBe(true);
  });
});
