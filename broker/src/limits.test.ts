import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConnectionsPerIp, PacketSizeGuard, PublishRate } from './limits.js';

async function through(max: number, chunks: Buffer[]): Promise<{ out: Buffer; err: string | null }> {
  const g = new PacketSizeGuard(max);
  const parts: Buffer[] = [];
  g.on('data', (c: Buffer) => parts.push(c));
  const done = new Promise<string | null>((r) => { g.on('end', () => r(null)); g.on('error', (e: Error & { code?: string }) => r(e.code ?? e.message)); });
  Readable.from(chunks).pipe(g);
  return { err: await done, out: Buffer.concat(parts) };
}

describe('PacketSizeGuard', () => {
  // PINGREQ (no body), then a PUBLISH with a 200-byte body, split across chunks at awkward places.
  const publish = Buffer.concat([Buffer.from([0x30, 0xc8, 0x01]), Buffer.alloc(200, 7)]);
  const stream = Buffer.concat([Buffer.from([0xc0, 0x00]), publish, Buffer.from([0xc0, 0x00])]);

  it('passes packets under the limit unchanged, however they are chunked', async () => {
    for (const cut of [1, 2, 3, 4, 50, 203]) {
      const r = await through(1_000, [stream.subarray(0, cut), stream.subarray(cut)]);
      expect(r.err).toBeNull();
      expect(r.out.equals(stream)).toBe(true);
    }
  });
  it('fails on a packet over the limit as soon as its header says so', async () => {
    expect((await through(100, [stream])).err).toBe('MQTT_PACKET_TOO_LARGE');
    // A declared 268 MB body with nothing behind it: refused from the header alone.
    expect((await through(1_000_000, [Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f])])).err).toBe('MQTT_PACKET_TOO_LARGE');
  });
  it('fails on a malformed remaining length', async () => {
    expect((await through(1e9, [Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])])).err).toBe('MQTT_BAD_LENGTH');
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
