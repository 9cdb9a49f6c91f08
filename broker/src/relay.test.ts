import { connect as tcp } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBroker, type BrokerHooks, type RunningBroker } from './broker.js';

const devices: Record<string, string> = { 'tr-0001': 'one', 'tr-0002': 'two' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Real aedes, real mqtt.js clients, and a service client subscribed to `city/#`, as a city system is. */
describe('only valid data is relayed; subscriptions are bounded', () => {
  let broker: RunningBroker;
  let url: string;
  const denied: string[] = [];
  const logs: string[] = [];
  const clients: MqttClient[] = [];
  let seen: string[];
  const telemetry: BrokerHooks['telemetry'] = async (_d, _t, p) => ({ relay: p.toString() === '{"ok":1}' });

  beforeEach(async () => {
    denied.length = 0;
    logs.length = 0;
    const log = (_o: object, msg?: string) => { if (msg) logs.push(msg); };
    broker = await createBroker({
      logger: { info: log, warn: log, debug() {}, error: log },
      limits: { maxSubscriptionsPerClient: 100, maxFilterBytes: 256 },
      hooks: {
        authenticate: async (id, secret) => (devices[id] === secret ? { id, kind: 'traffic' } : null),
        telemetry: (d, t, p) => telemetry(d, t, p),
        denied: async (d, topic, payload) => { denied.push(`${d?.id} ${topic} ${payload.toString()}`); },
        service: (u, s) => (u === 'city' && s === 'system' ? { name: 'city' } : null),
      },
    });
    url = `mqtt://127.0.0.1:${await broker.listen('127.0.0.1', 0)}`;
    const watcher = await open('svc:city-system', 'city', 'system');
    seen = [];
    watcher.on('message', (topic, payload) => seen.push(`${topic} ${payload.toString()}`));
    await watcher.subscribeAsync('city/#', { qos: 1 });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.end(true);
    await broker.close();
  });

  const open = async (clientId: string, username = clientId, password = devices[clientId]!, extra: mqtt.IClientOptions = {}) => {
    const c = await mqtt.connectAsync(url, { clientId, username, password, protocolVersion: 4, reconnectPeriod: 0, ...extra });
    clients.push(c);
    return c;
  };

  it('acknowledges invalid payloads on a device\'s own topics but relays and retains only valid ones', async () => {
    const d = await open('tr-0001');
    await d.publishAsync('city/traffic/tr-0001/telemetry', '{"bad":1}', { qos: 1, retain: true });
    await d.publishAsync('city/traffic/tr-0001/status', 'garbage', { qos: 1, retain: true });
    await d.publishAsync('city/traffic/tr-0001/telemetry', '{"ok":1}', { qos: 1 });
    await d.publishAsync('city/traffic/tr-0001/status', 'online', { qos: 1 });
    await sleep(100);
    expect(seen).toEqual(['city/traffic/tr-0001/telemetry {"ok":1}', 'city/traffic/tr-0001/status online']);
    expect(denied).toEqual(['tr-0001 city/traffic/tr-0001/status garbage']);
    // Nothing invalid was kept as a retained message: a new subscriber gets none.
    const late = await open('svc:city-late', 'city', 'system');
    const retained: string[] = [];
    late.on('message', (t, p) => retained.push(`${t} ${p.toString()}`));
    await late.subscribeAsync('city/#', { qos: 1 });
    await sleep(100);
    expect(retained).toEqual([]);
  });

  it('does not publish a will whose payload is invalid', async () => {
    const d = await open('tr-0002', 'tr-0002', 'two', { will: { topic: 'city/traffic/tr-0002/status', payload: Buffer.from('gone?'), qos: 1, retain: true } });
    d.stream.destroy();
    await sleep(200);
    expect(seen).toEqual([]);
    expect(denied).toEqual(['tr-0002 city/traffic/tr-0002/status gone?']);
  });

  it('dead-letters a publish with + or # in its topic like any refused topic', async () => {
    // mqtt.js would send it; a raw socket shows the broker's side alone.
    const s = tcp(Number(new URL(url).port), '127.0.0.1');
    const closed = new Promise<void>((r) => s.on('close', () => r()));
    s.on('error', () => undefined);
    const connack = new Promise((r) => s.once('data', r));
    s.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'tr-0001', clean: true, keepalive: 30, username: 'tr-0001', password: Buffer.from('one') }));
    await connack;
    s.write(mqttPacket.generate({ cmd: 'publish', topic: 'city/traffic/+/telemetry', payload: Buffer.from('{"x":1}'), qos: 1, messageId: 7, retain: false, dup: false }));
    await closed;
    for (let i = 0; i < 50 && denied.length === 0; i++) await sleep(10);
    expect(denied).toEqual(['tr-0001 city/traffic/+/telemetry {"x":1}']);
    expect(seen).toEqual([]);
  });

  it('grants at most 100 filters of at most 256 bytes to a connection: 300,000 attempted', async () => {
    const d = await open('tr-0001', 'tr-0001', 'one', { clean: false });
    const granted: number[] = [];
    for (let batch = 0; batch < 30; batch++) {
      const filters = Array.from({ length: 10_000 }, (_, i) => `city/traffic/tr-0001/x/${batch * 10_000 + i}`);
      // mqtt.js rejects a SUBACK that holds any 0x80; the packet carries every return code.
      const r = await d.subscribeAsync(filters, { qos: 0 }).then((g) => g.map((x) => x.qos), (e: { packet: { granted: number[] } }) => e.packet.granted);
      granted.push(...r);
    }
    expect(granted).toHaveLength(300_000);
    expect(granted.filter((g) => g === 0)).toHaveLength(100);
    expect(granted.slice(0, 100).every((g) => g === 0)).toBe(true);
    expect(logs.filter((m) => m === 'subscription refused').length).toBeLessThan(400);
    // An unsubscribed filter frees its slot; a filter over 256 bytes is refused whatever the count.
    await d.unsubscribeAsync('city/traffic/tr-0001/x/0');
    await expect(d.subscribeAsync(`city/traffic/tr-0001/${'y'.repeat(300)}`)).rejects.toMatchObject({ packet: { granted: [128] } });
    expect((await d.subscribeAsync('city/traffic/tr-0001/z')).map((g) => g.qos)).toEqual([0]);
    // The session keeps the 100 granted filters, never the refused ones.
    const persistence = (broker.aedes as unknown as { persistence: { subscriptionsByClient(c: { id: string }): Promise<unknown[] | null> } }).persistence;
    d.end(true);
    await sleep(100);
    expect((await persistence.subscriptionsByClient({ id: 'tr-0001' }))?.length).toBe(100);
  }, 120_000);
});
