import { Duplex, Transform, type TransformCallback } from 'node:stream';

/**
 * Passes MQTT bytes through unchanged while reading each packet's fixed header, and fails the stream when
 * a packet's remaining length is over `maxBytes` (or its length field is malformed) — before the packet is
 * buffered, so a huge declared size costs nothing.
 */
export class PacketSizeGuard extends Transform {
  /** Bytes of the current packet's body still to pass, or -1 while reading a header. */
  private left = -1;
  private lenBytes = 0;
  private len = 0;
  private mult = 1;

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.left > 0) {
        const n = Math.min(this.left, chunk.length - i);
        this.left -= n;
        i += n;
        if (this.left === 0) this.left = -1;
        continue;
      }
      // A header: one byte of type and flags, then 1–4 bytes of remaining length [MQTT-2.2.3].
      if (this.lenBytes === 0 && this.left === -1) {
        this.lenBytes = -1;
        i++;
        continue;
      }
      const b = chunk[i++]!;
      this.lenBytes = this.lenBytes === -1 ? 1 : this.lenBytes + 1;
      this.len += (b & 0x7f) * this.mult;
      this.mult *= 128;
      if (this.lenBytes > 4) return cb(Object.assign(new Error('malformed remaining length'), { code: 'MQTT_BAD_LENGTH' }));
      if (b & 0x80) continue;
      if (this.len > this.maxBytes) {
        return cb(Object.assign(new Error(`packet of ${this.len} bytes is over the ${this.maxBytes}-byte limit`), { code: 'MQTT_PACKET_TOO_LARGE' }));
      }
      this.left = this.len === 0 ? -1 : this.len;
      this.lenBytes = 0;
      this.len = 0;
      this.mult = 1;
    }
    cb(null, chunk);
  }
}

/** A duplex that reads through a PacketSizeGuard and writes to `socket` directly. */
export function guarded(socket: Duplex, maxBytes: number, onViolation: (err: Error) => void): Duplex {
  const guard = new PacketSizeGuard(maxBytes);
  guard.on('error', (err: Error & { code?: string }) => {
    // Only the guard's own verdicts are violations; an abort is just the connection ending.
    if (err.code === 'MQTT_PACKET_TOO_LARGE' || err.code === 'MQTT_BAD_LENGTH') onViolation(err);
    socket.destroy();
  });
  socket.pipe(guard);
  const d = Duplex.from({ readable: guard, writable: socket });
  socket.on('close', () => d.destroy());
  d.on('error', () => socket.destroy());
  return d;
}

/** Counts open connections per remote address. */
export class ConnectionsPerIp {
  private readonly open = new Map<string, number>();
  constructor(readonly max: number) {}
  /** Takes a slot for `ip`; false when it has `max` already. */
  take(ip: string): boolean {
    const n = this.open.get(ip) ?? 0;
    if (n >= this.max) return false;
    this.open.set(ip, n + 1);
    return true;
  }
  release(ip: string): void {
    const n = (this.open.get(ip) ?? 1) - 1;
    if (n <= 0) this.open.delete(ip);
    else this.open.set(ip, n);
  }
}

/**
 * A token bucket per device: `perSecond` publishes a second with bursts of `burst`. `delayFor` says how long
 * a publish must wait for its token (the broker holds its PUBACK that long: throttled, not dropped).
 */
export class PublishRate {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(readonly perSecond: number, readonly burst: number, private readonly now: () => number = Date.now) {}
  delayFor(id: string): number {
    const t = this.now();
    const b = this.buckets.get(id) ?? { tokens: this.burst, at: t };
    b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.perSecond);
    b.at = t;
    b.tokens -= 1;
    this.buckets.set(id, b);
    return b.tokens >= 0 ? 0 : Math.ceil((-b.tokens / this.perSecond) * 1000);
  }
  forget(id: string): void {
    this.buckets.delete(id);
  }
}

/** Why a subscription was refused by the limits. */
export type SubscriptionRefusal = 'too_many_subscriptions' | 'filter_too_long';

/**
 * The filters each connection holds, bounded in number and length: 300,000 filters in one device's own
 * subtree took the hub from 142 MB to 920 MB. Keyed by the connection object, so that a connection's
 * filters go with it (`forget` on disconnect; a WeakMap besides).
 */
export class SubscriptionLimit {
  private readonly held = new WeakMap<object, Set<string>>();
  constructor(readonly maxPerClient: number, readonly maxFilterBytes: number) {}

  /** Takes a slot for `filter` (a filter held already costs nothing); the reason when it cannot. */
  take(client: object, filter: string): SubscriptionRefusal | null {
    if (Buffer.byteLength(filter, 'utf8') > this.maxFilterBytes) return 'filter_too_long';
    let set = this.held.get(client);
    if (set?.has(filter)) return null;
    if ((set?.size ?? 0) >= this.maxPerClient) return 'too_many_subscriptions';
    if (!set) this.held.set(client, (set = new Set()));
    set.add(filter);
    return null;
  }

  holds(client: object, filter: string): boolean {
    return this.held.get(client)?.has(filter) ?? false;
  }

  release(client: object, filter: string): void {
    this.held.get(client)?.delete(filter);
  }

  count(client: object): number {
    return this.held.get(client)?.size ?? 0;
  }

  forget(client: object): void {
    this.held.delete(client);
  }
}
