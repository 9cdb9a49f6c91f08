import { BufferList } from 'bl';
import mqttPacket from 'mqtt-packet';

/**
 * mqtt-packet writes each two-byte number (packet ids, topic lengths) from a table of 65,536 ready-made Buffers that
 * it builds at the first packet written: about 7 MB of V8 heap that every hub kept, whatever its device count (a heap
 * snapshot of a hub holding 10,000 devices). Without it, each number is a two-byte Buffer from Node's pool, made when
 * written. Process-wide: aedes and the hub share the one mqtt-packet.
 */
export function noNumberCache(): void {
  mqttPacket.writeToStream.cacheNumbers = false;
}
/**
 * The part of an aedes client's MQTT parser (mqtt-packet's `Parser`, `parser.js`) the broker uses: its
 * state while parsing, its length step and its events. aedes keeps it as `client._parser` (`lib/client.js`).
 */
export interface PacketParser {
  packet: { length: number };
  error: Error | null;
  /** The bytes received and not yet parsed: a `bl` BufferListStream as mqtt-packet makes it. */
  _list: { length: number };
  /** What the parser reads of the connection: the CONNECT packet itself once one was parsed (`_parseConnect`). */
  settings: { protocolVersion?: number; bridgeMode?: boolean };
  _parseLength: (this: PacketParser) => boolean;
  _emitError(err: Error): void;
  prependListener(event: 'packet', fn: (p: { cmd: string; topic?: string; payload?: Buffer }) => void): unknown;
}

/** The parser of an aedes client (see {@link PacketParser}); undefined if aedes ever stops keeping one. */
export function parserOf(client: object): PacketParser | undefined {
  return (client as { _parser?: PacketParser })._parser;
}

/**
 * Trims what a parser holds for each connection, for as long as it is open:
 * - mqtt-packet keeps the bytes not yet parsed in a `bl` BufferListStream, a whole Duplex stream with its
 *   two states, listeners and buffers, of which the parser uses only the buffer-list methods. A plain
 *   `BufferList` of the same package does the same (about 0.9 KB less per connection, measured: a heap
 *   snapshot of a hub holding 10,000 devices, and 10,000 of each side by side).
 * - after the CONNECT, {@link forgetConnect} drops the packet it keeps as its settings.
 * The parser makes a new BufferListStream only when it resets after an error, on a connection aedes then
 * closes.
 */
export function leanParser(parser: PacketParser): void {
  if (parser._list.length === 0) parser._list = new BufferList();
}

/**
 * mqtt-packet keeps the CONNECT packet as the parser's settings (the device's password, user name, will and
 * properties among them) for as long as the connection is open, and reads only two of its fields again.
 */
export function forgetConnect(parser: PacketParser): void {
  const { protocolVersion, bridgeMode } = parser.settings;
  parser.settings = bridgeMode === undefined ? { protocolVersion } : { protocolVersion, bridgeMode };
}

/** Why a connection was closed by the packet-size limit. */
export type PacketViolation = Error & { code: 'MQTT_PACKET_TOO_LARGE' | 'MQTT_BAD_LENGTH' };

/**
 * Holds a parser to packets of at most `maxBytes` of remaining length. mqtt-packet reads each packet's fixed
 * header before it waits for the body; the check runs as soon as the remaining length is parsed, so a huge
 * declared size is refused before its body is buffered. A length field of more than 4 bytes is refused by
 * mqtt-packet itself ("Invalid variable byte integer", [MQTT-2.2.3]); both are reported to `onViolation`.
 * The parser then fails as on any malformed packet: aedes closes the connection. No stream is put between
 * the socket and aedes: a wrapper stream per connection costs much of the acknowledgement rate and of the
 * memory per connection (see docs/design.md, "The acknowledgement path").
 */
export function limitPacketSize(parser: PacketParser, maxBytes: number, onViolation: (err: PacketViolation) => void): void {
  const parseLength = parser._parseLength;
  parser._parseLength = function limitedParseLength(this: PacketParser): boolean {
    const done = parseLength.call(this);
    if (this.error) {
      onViolation(Object.assign(new Error(`malformed remaining length: ${this.error.message}`), { code: 'MQTT_BAD_LENGTH' as const }));
      return false;
    }
    if (done && this.packet.length > maxBytes) {
      const err = Object.assign(new Error(`packet of ${this.packet.length} bytes is over the ${maxBytes}-byte limit`), { code: 'MQTT_PACKET_TOO_LARGE' as const });
      onViolation(err);
      this._emitError(err);
      return false;
    }
    return done;
  };
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
