import type { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import type { AlertEvent, Kind, LiveMessage, LiveReading } from '@cityhub/contracts';
import type { Point } from '@cityhub/store';

/** The bounds of `/live` (documented in the README and the OpenAPI description). */
export interface LiveLimits {
  /**
   * Readings are gathered for a tick, then sent as one `readings` frame per filter. A tick lasts `tickMs`
   * with few clients, longer with many (so that about `maxFramesPerSecond` frames go out in all), at most
   * `maxTickMs`.
   */
  tickMs: number;
  maxTickMs: number;
  maxFramesPerSecond: number;
  /** Above this many unsent bytes, a client gets only the newest reading per asset once it catches up. */
  coalesceAboveBytes: number;
  /** A client that stays backed up this long is disconnected with close code 4008. */
  maxLagMs: number;
  /** After a close frame, how long the client has to read it before its connection is cut. */
  closeGraceMs: number;
  /** Unsent bytes across every client; beyond it the slowest are coalesced, then dropped (4008). */
  maxBufferedBytes: number;
  /** Live clients on this node, anonymous or with a token (`CITYHUB_LIVE_MAX_CLIENTS`). */
  maxClients: number;
  /** Live clients per client address, anonymous or with a token (`CITYHUB_LIVE_MAX_CLIENTS_PER_IP`). */
  maxClientsPerAddress: number;
  /** Readings waiting for the next tick; beyond it the oldest are left out of the live feed (the store has them). */
  maxQueuedReadings: number;
  /** Bytes one tick may write to all clients; beyond it a group gets the tick's newest reading per asset only. */
  maxFanoutBytesPerTick: number;
}
export const LIVE_LIMITS: Readonly<LiveLimits> = {
  tickMs: 20,
  maxTickMs: 250,
  maxFramesPerSecond: 10_000,
  coalesceAboveBytes: 1024 * 1024,
  maxLagMs: 30_000,
  closeGraceMs: 5_000,
  maxBufferedBytes: 64 * 1024 * 1024,
  maxClients: 2_000,
  maxClientsPerAddress: 50,
  maxQueuedReadings: 100_000,
  maxFanoutBytesPerTick: 16 * 1024 * 1024,
};
/** Clients sent a frame between two turns of the event loop. */
const SEND_SLICE = 200;
/** The close code of a client disconnected for being too slow, or when the feed's buffers are full. */
export const CLOSE_TOO_SLOW = 4008;
/** The close code of a client over the number of live clients (per address or in total). */
export const CLOSE_TOO_MANY = 4029;

export interface LiveFilter { kinds: ReadonlySet<Kind>; assets: ReadonlySet<string> | null }

/** A group of clients with one filter: what they are sent is serialised once for all of them. */
interface Group {
  key: string;
  filter: LiveFilter;
  clients: Set<LiveClient>;
  /** The newest reading per asset and the tick it came in, for clients that catch up after falling behind. */
  latest: Map<string, { tick: number; reading: LiveReading }>;
}

/** One `/live` socket. */
export interface LiveClient {
  readonly socket: WebSocket;
  readonly address: string;
  readonly group: Group;
  /** The tick from which the client missed readings (0 while it keeps up), and since when, in ms. */
  lagFrom: number;
  lagSince: number;
  graceTimer?: NodeJS.Timeout;
}

export interface LiveFeedStats { clients: number; coalesced: number; coalescedTicks: number; dropped: number; refused: number; queueOverflow: number }

const matches = (f: LiveFilter, kind: Kind, asset: string) => f.kinds.has(kind) && (!f.assets || f.assets.has(asset));
const filterKey = (f: LiveFilter) => `${[...f.kinds].sort().join(',')}|${f.assets ? [...f.assets].sort().join(',') : '*'}`;
const frame = (msg: LiveMessage) => Buffer.from(JSON.stringify(msg));
/** Frames are serialised once as bytes, and sent as TEXT frames: browsers hand binary frames to `onmessage` as Blobs. */
const TEXT = { binary: false } as const;

/**
 * The fan-out of `/live`. Readings are only queued when they become durable (their PUBACK is not held by
 * the feed); every tick they go out as one `readings` frame per filter, serialised once and shared by
 * the filter's clients. A client with more than `coalesceAboveBytes` unsent, or the slowest ones while the
 * feed holds more than `maxBufferedBytes` in all, is sent nothing new; once it has room it gets the newest
 * reading per asset it missed. A client behind for `maxLagMs`, or still behind when the total is over
 * again, is closed with 4008. What the feed itself holds is bounded by the number of assets per filter.
 */
export class LiveFeed {
  private queue: Point[][] = [];
  private queued = 0;
  private tickNo = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly groups = new Map<string, Group>();
  private readonly perAddress = new Map<string, number>();
  private clientCount = 0;
  readonly stats: LiveFeedStats = { clients: 0, coalesced: 0, coalescedTicks: 0, dropped: 0, refused: 0, queueOverflow: 0 };

  constructor(
    private readonly source: EventEmitter<{ points: [Point[]] }>,
    private readonly alerts: EventEmitter<{ event: [AlertEvent] }> | undefined,
    readonly limits: LiveLimits,
    private readonly log?: { warn(obj: object, msg: string): void },
  ) {}

  /** Adds a client, or returns why it is refused (the caller closes it with `CLOSE_TOO_MANY`). */
  admit(socket: WebSocket, filter: LiveFilter, address: string): LiveClient | { refused: string } {
    const here = this.perAddress.get(address) ?? 0;
    if (this.clientCount >= this.limits.maxClients || here >= this.limits.maxClientsPerAddress) {
      this.stats.refused++;
      return { refused: here >= this.limits.maxClientsPerAddress ? `more than ${this.limits.maxClientsPerAddress} live clients from this address` : `more than ${this.limits.maxClients} live clients` };
    }
    const key = filterKey(filter);
    let group = this.groups.get(key);
    if (!group) {
      group = { key, filter, clients: new Set(), latest: new Map() };
      this.groups.set(key, group);
    }
    const client: LiveClient = { socket, address, group, lagFrom: 0, lagSince: 0 };
    group.clients.add(client);
    this.perAddress.set(address, here + 1);
    if (this.clientCount++ === 0) this.startListening();
    this.stats.clients = this.clientCount;
    return client;
  }

  /** Removes a client whose socket closed. */
  remove(c: LiveClient): void {
    if (!c.group.clients.delete(c)) return;
    clearTimeout(c.graceTimer);
    if (c.group.clients.size === 0) this.groups.delete(c.group.key);
    const n = (this.perAddress.get(c.address) ?? 1) - 1;
    if (n > 0) this.perAddress.set(c.address, n);
    else this.perAddress.delete(c.address);
    if (--this.clientCount === 0) this.stopListening();
    this.stats.clients = this.clientCount;
  }

  /** Unsent bytes across every client now. */
  bufferedBytes(): number {
    let total = 0;
    for (const g of this.groups.values()) for (const c of g.clients) total += c.socket.bufferedAmount;
    return total;
  }

  /** Stops the timer; sockets are closed by their server. */
  close(): void {
    this.stopListening();
  }

  private readonly onPoints = (points: Point[]): void => {
    // Only a reference is kept here: this runs before the readings' PUBACK.
    this.queue.push(points);
    this.queued += points.length;
    while (this.queued > this.limits.maxQueuedReadings && this.queue.length > 1) {
      this.queued -= this.queue.shift()!.length;
      this.stats.queueOverflow++;
    }
  };

  private readonly onAlert = (event: AlertEvent): void => {
    const msg = frame({ type: 'alert', event: { ...event, at: new Date(event.at).toISOString() } });
    for (const g of this.groups.values()) {
      if (!matches(g.filter, event.kind, event.asset)) continue;
      for (const c of g.clients) if (this.isOpen(c) && !c.lagFrom) c.socket.send(msg, TEXT);
    }
  };

  private startListening(): void {
    this.source.on('points', this.onPoints);
    this.alerts?.on('event', this.onAlert);
    this.schedule();
  }

  private stopListening(): void {
    this.source.off('points', this.onPoints);
    this.alerts?.off('event', this.onAlert);
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
    this.queued = 0;
  }

  /** The next tick, `tickMs` from now with few clients, later with many (up to `maxTickMs`). */
  private schedule(): void {
    const { tickMs, maxTickMs, maxFramesPerSecond } = this.limits;
    const ms = Math.min(maxTickMs, Math.max(tickMs, (this.clientCount * 1000) / maxFramesPerSecond));
    this.timer = setTimeout(() => {
      this.tick();
      if (this.clientCount > 0) this.schedule();
    }, ms);
    this.timer.unref();
  }

  /** One tick: the queued readings to every group, the slow clients coalesced or dropped. */
  tick(): void {
    const batch = this.queue;
    this.queue = [];
    this.queued = 0;
    const tick = ++this.tickNo;
    const readings: LiveReading[] = [];
    for (const points of batch) {
      for (const p of points) readings.push({ type: 'reading', kind: p.kind, asset: p.asset, device: p.device, ts: new Date(p.ts).toISOString(), values: p.values });
    }
    const over = this.shed();
    const now = Date.now();
    let budget = this.limits.maxFanoutBytesPerTick;
    for (const g of this.groups.values()) budget -= this.deliver(g, readings, tick, over, now, budget);
  }

  /**
   * One group's share of a tick; returns the bytes it sent. When the tick's frame to every client that keeps
   * up would pass what is left of the tick's budget (a device emptying its buffer of 5,000 readings), they
   * all get the newest reading per asset of the tick instead: the store has the rest.
   */
  private deliver(g: Group, readings: readonly LiveReading[], tick: number, over: boolean, now: number, budget: number): number {
    const mine = readings.length ? readings.filter((r) => matches(g.filter, r.kind, r.asset)) : [];
    for (const r of mine) {
      // Delete first, so that the map's order is the order of the newest readings.
      g.latest.delete(r.asset);
      g.latest.set(r.asset, { tick, reading: r });
    }
    const receivers: LiveClient[] = [];
    const catchUp = new Map<number, Buffer>();
    let sent = 0;
    for (const c of g.clients) {
      if (!this.isOpen(c)) continue;
      // A client coalesced by `shed` in this very tick waits for the next one.
      if (c.lagFrom) {
        if (c.lagFrom < tick) sent += this.resume(c, over, now, catchUp);
      } else if (mine.length) {
        if (over || c.socket.bufferedAmount > this.limits.coalesceAboveBytes) this.fallBehind(c, tick, now);
        else receivers.push(c);
      }
    }
    if (!receivers.length) return sent;
    let shared = frame({ type: 'readings', readings: mine });
    if (shared.length * receivers.length > budget - sent) {
      const newest = new Map<string, LiveReading>();
      for (const r of mine) {
        newest.delete(r.asset);
        newest.set(r.asset, r);
      }
      shared = frame({ type: 'readings', readings: [...newest.values()] });
      this.stats.coalescedTicks++;
    }
    this.sendInSlices(receivers, shared);
    return sent + shared.length * receivers.length;
  }

  /**
   * Sends one frame to many clients, `SEND_SLICE` at a time with a turn of the event loop in between, so
   * that the PUBACKs and requests waiting meanwhile are not held behind thousands of socket writes.
   */
  private sendInSlices(clients: readonly LiveClient[], msg: Buffer, from = 0): void {
    const end = Math.min(clients.length, from + SEND_SLICE);
    for (let i = from; i < end; i++) {
      const c = clients[i]!;
      if (this.isOpen(c)) c.socket.send(msg, TEXT);
    }
    if (end < clients.length) setImmediate(() => this.sendInSlices(clients, msg, end));
  }

  /** A client that fell behind: the newest per asset once it has room, closed if it stays behind too long. */
  private resume(c: LiveClient, over: boolean, now: number, cache: Map<number, Buffer>): number {
    if (!over && c.socket.bufferedAmount <= this.limits.coalesceAboveBytes) {
      let msg = cache.get(c.lagFrom);
      if (!msg) {
        const missed: LiveReading[] = [];
        for (const { tick, reading } of c.group.latest.values()) if (tick >= c.lagFrom) missed.push(reading);
        msg = frame({ type: 'readings', readings: missed });
        cache.set(c.lagFrom, msg);
      }
      c.socket.send(msg, TEXT);
      c.lagFrom = 0;
      return msg.length;
    }
    if (now - c.lagSince > this.limits.maxLagMs) this.drop(c, 'too slow: could not keep up with live readings');
    return 0;
  }

  private fallBehind(c: LiveClient, tick: number, now: number): void {
    c.lagFrom = tick;
    c.lagSince = now;
    this.stats.coalesced++;
  }

  /**
   * Over `maxBufferedBytes` in all: the clients with the most unsent bytes are coalesced first; those that
   * already were are dropped. True while the total is still over the bound (nobody gets anything new).
   */
  private shed(): boolean {
    const open: LiveClient[] = [];
    let total = 0;
    for (const g of this.groups.values()) {
      for (const c of g.clients) {
        if (!this.isOpen(c)) continue;
        open.push(c);
        total += c.socket.bufferedAmount;
      }
    }
    if (total <= this.limits.maxBufferedBytes) return false;
    open.sort((a, b) => b.socket.bufferedAmount - a.socket.bufferedAmount);
    const now = Date.now();
    for (const c of open) {
      if (total <= this.limits.maxBufferedBytes) break;
      // Either way its bytes stop growing: count them out of what the feed still adds to.
      total -= c.socket.bufferedAmount;
      if (c.lagFrom) this.drop(c, 'too slow: the live feed\'s send buffers are full');
      else this.fallBehind(c, this.tickNo, now);
    }
    return total > this.limits.maxBufferedBytes;
  }

  private drop(c: LiveClient, reason: string): void {
    this.stats.dropped++;
    this.log?.warn({ address: c.address, buffered: c.socket.bufferedAmount, reason }, 'live client disconnected');
    // The close frame queues behind what the client has not read; a client that reads nothing at all is
    // cut after the grace, so that its unsent bytes do not stay in memory.
    c.socket.close(CLOSE_TOO_SLOW, reason);
    c.graceTimer = setTimeout(() => c.socket.terminate(), this.limits.closeGraceMs);
    c.graceTimer.unref();
  }

  private isOpen(c: LiveClient): boolean {
    return c.socket.readyState === c.socket.OPEN;
  }
}
