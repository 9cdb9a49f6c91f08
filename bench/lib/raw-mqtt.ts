/**
 * A minimal MQTT 3.1.1 client for load generation: CONNECT, PUBLISH (QoS 0/1), PUBACK, SUBSCRIBE and
 * nothing else. mqtt.js spends more CPU per message than the brokers under test, which would make the
 * generator the bottleneck; this one writes pre-sized packets straight to the socket.
 */
import { createConnection, type Socket } from 'node:net';

/** Encodes an MQTT remaining length (variable byte integer). */
function remainingLength(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    bytes.push(b);
  } while (n > 0);
  return Buffer.from(bytes);
}

const str = (s: string): Buffer => {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
};

export interface ConnectOptions {
  host: string;
  port: number;
  clientId: string;
  username?: string;
  password?: string;
  clean?: boolean;
  timeoutMs?: number;
}

/** One MQTT connection. Callbacks are plain fields: the hot path allocates no closures. */
export class RawMqtt {
  /** Called for every PUBACK with its packet id. */
  onPuback: (id: number) => void = () => {};
  /** Called for every PUBLISH received (subscriber side); QoS 1 ones are acknowledged automatically. */
  onPublish: (topic: string, payload: Buffer) => void = () => {};
  private buf: Buffer = Buffer.alloc(0);
  private waiters = new Map<number, (rc: number) => void>();
  private closed = false;

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', () => {
      this.closed = true;
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Connects and resolves after a successful CONNACK (rejects with the return code otherwise). */
  static connect(o: ConnectOptions): Promise<RawMqtt> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host: o.host, port: o.port });
      const client = new RawMqtt(socket);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`CONNACK timeout for ${o.clientId}`));
      }, o.timeoutMs ?? 30_000);
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      client.waiters.set(-1, (rc) => {
        clearTimeout(timer);
        if (rc === 0) resolve(client);
        else {
          socket.destroy();
          reject(new Error(`CONNACK ${rc} for ${o.clientId}`));
        }
      });
      let flags = o.clean === false ? 0 : 0x02;
      const payload = [str(o.clientId)];
      if (o.username !== undefined) {
        flags |= 0x80;
        payload.push(str(o.username));
      }
      if (o.password !== undefined) {
        flags |= 0x40;
        payload.push(str(o.password));
      }
      // Keep-alive 120 s (the hub refuses 0): a benchmark connection is never idle that long, so no pings.
      const variable = Buffer.concat([str('MQTT'), Buffer.from([4, flags, 0, 120])]);
      const body = Buffer.concat([variable, ...payload]);
      socket.write(Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]));
    });
  }

  /** The fixed part of a PUBLISH to `topic` (header byte and topic), reused for every message. */
  static topicPart(topic: string): Buffer {
    return str(topic);
  }

  /**
   * Writes a PUBLISH; `id` is the packet id for QoS 1. Returns what `socket.write` returns: false means
   * the socket's buffer is full and the caller should wait for 'drain'.
   */
  publish(topicPart: Buffer, payload: Buffer, qos: 0 | 1, id = 0): boolean {
    const len = topicPart.length + (qos ? 2 : 0) + payload.length;
    const rl = remainingLength(len);
    const packet = Buffer.allocUnsafe(1 + rl.length + len);
    let o = 0;
    packet[o++] = 0x30 | (qos << 1);
    rl.copy(packet, o);
    o += rl.length;
    topicPart.copy(packet, o);
    o += topicPart.length;
    if (qos) {
      packet.writeUInt16BE(id, o);
      o += 2;
    }
    payload.copy(packet, o);
    return this.socket.write(packet);
  }

  /** Subscribes to one filter and resolves on the SUBACK. */
  subscribe(filter: string, qos: 0 | 1, id = 1): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiters.set(id, (rc) => (rc === 0x80 ? reject(new Error(`subscription to ${filter} refused`)) : resolve()));
      const body = Buffer.concat([Buffer.from([id >> 8, id & 0xff]), str(filter), Buffer.from([qos])]);
      this.socket.write(Buffer.concat([Buffer.from([0x82]), remainingLength(body.length), body]));
    });
  }

  /** Sends DISCONNECT and closes. */
  async close(): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end(Buffer.from([0xe0, 0x00]));
      setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, 2_000).unref();
    });
  }

  private onData(chunk: Buffer): void {
    // Writes made while handling this chunk (PUBACKs, the publishes they release) leave as one.
    this.socket.cork();
    try {
      this.parse(chunk);
    } finally {
      this.socket.uncork();
    }
  }

  private parse(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let o = 0;
    const b = this.buf;
    while (o + 2 <= b.length) {
      const type = b[o]! >> 4;
      let len = 0;
      let mult = 1;
      let i = o + 1;
      let complete = false;
      for (; i < b.length && i < o + 5; i++) {
        len += (b[i]! & 0x7f) * mult;
        mult *= 128;
        if ((b[i]! & 0x80) === 0) {
          complete = true;
          i++;
          break;
        }
      }
      if (!complete || i + len > b.length) break;
      const start = i;
      switch (type) {
        case 4: // PUBACK
          this.onPuback(b.readUInt16BE(start));
          break;
        case 3: { // PUBLISH
          const qos = (b[o]! >> 1) & 3;
          const tlen = b.readUInt16BE(start);
          const topic = b.toString('utf8', start + 2, start + 2 + tlen);
          let p = start + 2 + tlen;
          if (qos > 0) {
            const id = b.readUInt16BE(p);
            p += 2;
            this.socket.write(Buffer.from([0x40, 0x02, id >> 8, id & 0xff]));
          }
          this.onPublish(topic, b.subarray(p, start + len));
          break;
        }
        case 2: // CONNACK
          this.waiters.get(-1)?.(b[start + 1]!);
          this.waiters.delete(-1);
          break;
        case 9: { // SUBACK
          const id = b.readUInt16BE(start);
          this.waiters.get(id)?.(b[start + 2]!);
          this.waiters.delete(id);
          break;
        }
        default:
          break;
      }
      o = start + len;
    }
    this.buf = o >= b.length ? Buffer.alloc(0) : b.subarray(o);
  }
}
