import { createRequire } from 'node:module';
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { ConnectionsPerIp, forgetConnect, leanParser, limitPacketSize, noNumberCache, PublishRate, type PacketParser } from './limits.js';

describe('noNumberCache', () => {
  it('has mqtt-packet write two-byte numbers byte for byte as before, without building its table of 65,536 Buffers', () => {
    const numbers = createRequire(import.meta.url)('mqtt-packet/numbers.js') as { cache: Record<number, Buffer> };
    // Other tests of this file made packets while collecting: the table is emptied first.
    for (const k of Object.keys(numbers.cache)) delete numbers.cache[Number(k)];
    noNumberCache();
    expect([...mqttPacket.generate({ cmd: 'puback', messageId: 0x1234 })]).toEqual([0x40, 0x02, 0x12, 0x34]);
    const publish = mqttPacket.generate({ cmd: 'publish', topic: 'a/b', payload: Buffer.from('x'), qos: 1, messageId: 7, retain: false, dup: false });
    expect([...publish]).toEqual([0x32, 0x08, 0x00, 0x03, 0x61, 0x2f, 0x62, 0x00, 0x07, 0x78]);
    expect(Object.keys(numbers.cache)).toHaveLength(0);
    // What the table would hold: mqtt-packet builds it at the first packet written while the cache is on.
    mqttPacket.writeToStream.cacheNumbers = true;
    mqttPacket.generate({ cmd: 'puback', messageId: 1 });
    expect(Object.keys(numbers.cache)).toHaveLength(65_536);
  });
});

/** Feeds `chunks` to a real mqtt-packet parser held to `max`: the packets it gave, and the first violation. */
function through(max: number, chunks: Buffer[], lean = false): { packets: string[]; err: string | null; parserFailed: boolean } {
  const parser = mqttPacket.parser();
  if (lean) leanParser(parser as unknown as PacketParser);
  const packets: string[] = [];
  let err: string | null = null;
  let parserFailed = false;
  parser.on('packet', (p) => packets.push(`${p.cmd}:${p.length ?? '?'}`));
  parser.on('error', () => { parserFailed = true; });
  limitPacketSize(parser as unknown as PacketParser, max, (e) => { err ??= e.code; });
  for (const c of chunks) {
    if (parserFailed) break;
    parser.parse(c);
  }
  return { packets, err, parserFailed };
}

describe('limitPacketSize', () => {
  // PINGREQ (no body), then a PUBLISH with a 200-byte body, split across chunks at awkward places.
  const body = Buffer.concat([Buffer.from([0x00, 0x03]), Buffer.from('a/b'), Buffer.alloc(195, 7)]);
  const publish = Buffer.concat([Buffer.from([0x30, 0xc8, 0x01]), body]);
  const stream = Buffer.concat([Buffer.from([0xc0, 0x00]), publish, Buffer.from([0xc0, 0x00])]);

  it('passes packets under the limit, however they are chunked, with mqtt-packet\'s buffer list or the lean one', () => {
    for (const lean of [false, true]) {
      for (const cut of [1, 2, 3, 4, 50, 203]) {
        const r = through(1_000, [stream.subarray(0, cut), stream.subarray(cut)], lean);
        expect(r.err).toBeNull();
        expect(r.packets).toEqual(['pingreq:0', 'publish:200', 'pingreq:0']);
      }
      // One byte at a time.
      expect(through(1_000, [...stream].map((b) => Buffer.from([b])), lean).packets).toEqual(['pingreq:0', 'publish:200', 'pingreq:0']);
      expect(through(100, [stream], lean).err).toBe('MQTT_PACKET_TOO_LARGE');
    }
  });
  it('fails on a packet over the limit as soon as its header says so', () => {
    const r = through(100, [stream]);
    expect(r).toEqual({ packets: ['pingreq:0'], err: 'MQTT_PACKET_TOO_LARGE', parserFailed: true });
    // A declared 268 MB body with nothing behind it: refused from the header alone.
    expect(through(1_000_000, [Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f])]).err).toBe('MQTT_PACKET_TOO_LARGE');
    // The length split across chunks: refused once its last byte arrives.
    expect(through(1_000_000, [Buffer.from([0x30, 0xff, 0xff]), Buffer.from([0xff, 0x7f])]).err).toBe('MQTT_PACKET_TOO_LARGE');
  });
  it('fails on a malformed remaining length', () => {
    const r = through(1e9, [Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])]);
    expect(r.err).toBe('MQTT_BAD_LENGTH');
    expect(r.parserFailed).toBe(true);
  });
});

describe('leanParser and forgetConnect', () => {
  const v5 = { protocolVersion: 5 as const };
  const connect = mqttPacket.generate({
    cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'tr-1', clean: true, keepalive: 30,
    username: 'tr-1', password: Buffer.from('secret-tr-1'), will: { topic: 'a/status', payload: Buffer.from('offline'), qos: 1, retain: true },
  });
  const publish = mqttPacket.generate({ cmd: 'publish', topic: 'a/b', payload: Buffer.from('{"v":1}'), qos: 1, dup: false, retain: false, messageId: 7, properties: { contentType: 'application/json', userProperties: { k: 'v' } } }, v5);

  it('holds the bytes not yet parsed in a plain buffer list, not a stream', () => {
    const parser = mqttPacket.parser() as unknown as PacketParser & { _list: object };
    expect('pipe' in parser._list).toBe(true);
    leanParser(parser);
    expect('pipe' in parser._list).toBe(false);
  });
  it('lets the CONNECT go and parses the packets after it as before (MQTT 5 properties read as its version says)', () => {
    const packets: Array<Record<string, unknown>> = [];
    const parser = mqttPacket.parser();
    leanParser(parser as unknown as PacketParser);
    parser.on('packet', (p) => packets.push(p as unknown as Record<string, unknown>));
    parser.parse(connect);
    expect((parser as unknown as PacketParser).settings).toMatchObject({ password: Buffer.from('secret-tr-1'), protocolVersion: 5 });
    forgetConnect(parser as unknown as PacketParser);
    expect((parser as unknown as PacketParser).settings).toEqual({ protocolVersion: 5 });
    // Split in two: the rest waits in the lean list; MQTT 5 properties are read as the version says.
    parser.parse(publish.subarray(0, 9));
    parser.parse(publish.subarray(9));
    expect(packets.map((p) => p.cmd)).toEqual(['connect', 'publish']);
    expect(packets[1]).toMatchObject({ topic: 'a/b', messageId: 7, properties: { contentType: 'application/json', userProperties: { k: 'v' } } });
    expect(String(packets[1]!.payload)).toBe('{"v":1}');
  });
});

describe('ConnectionsPerIp and PublishRate', () => {
  it('counts connections per address', () => {
    const c = new ConnectionsPerIp(2);
    expect([c.take('a'), c.take('a'), c.take('a'), c.take('b')]).toEqual([true, true, false, true]);
    c.release('a');
    expect(c.take('a')).toBe(true);
  });
  it('lets a burst through, then spaces publishes at the rate', () => {
    let t = 0;
    const r = new PublishRate(10, 3, () => t);
    expect([r.delayFor('d'), r.delayFor('d'), r.delayFor('d')]).toEqual([0, 0, 0]);
    expect(r.delayFor('d')).toBe(100);
    expect(r.delayFor('d')).toBe(200);
    t = 1_000;
    expect(r.delayFor('d')).toBe(0);
    expect(r.delayFor('other')).toBe(0);
  });
});
