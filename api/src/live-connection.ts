import type { WebSocket } from 'ws';
import type { Kind, LiveMessage } from '@cityhub/contracts';
import type { Point } from '@cityhub/store';

/** How a slow live client is treated (documented in the README and the OpenAPI description). */
export interface LiveLimits {
  /** Above this many unsent bytes, readings are coalesced to the latest per asset. */
  coalesceAboveBytes: number;
  /** A client that stays backed up this long is disconnected with close code 4008. */
  maxLagMs: number;
  /** How often the coalesced readings are offered to a client that fell behind. */
  flushEveryMs: number;
  /** After the 4008 close frame, how long the client has to read it before its connection is cut. */
  closeGraceMs: number;
}
export const LIVE_LIMITS: Readonly<LiveLimits> = {
  coalesceAboveBytes: 1024 * 1024,
  maxLagMs: 30_000,
  flushEveryMs: 250,
  closeGraceMs: 5_000,
};
/** The close code of a client disconnected for being too slow (4000–4999: the application's own). */
export const CLOSE_TOO_SLOW = 4008;

export interface LiveFilter { kinds: ReadonlySet<Kind>; assets: ReadonlySet<string> | null }

/**
 * One `/live` client. Readings are sent as they come while the socket keeps up; once more than
 * `coalesceAboveBytes` wait unsent, only the newest reading per asset is kept (so what waits is bounded by
 * the number of assets, whatever the rate), and a client behind for `maxLagMs` is closed with 4008.
 */
export class LiveConnection {
  private readonly pending = new Map<string, string>();
  private laggingSince = 0;
  private readonly timer: NodeJS.Timeout;
  private graceTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: WebSocket,
    private readonly filter: LiveFilter,
    private readonly limits: LiveLimits,
    private readonly onSlow: (buffered: number) => void = () => {},
  ) {
    this.timer = setInterval(() => this.flush(), limits.flushEveryMs);
    this.timer.unref();
  }

  /** Readings waiting for the client to catch up: at most one per asset. */
  get pendingSize(): number {
    return this.pending.size;
  }

  /** Offers durable readings; those outside the filter are ignored. */
  offer(points: readonly Point[]): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    for (const p of points) {
      if (!this.filter.kinds.has(p.kind) || (this.filter.assets && !this.filter.assets.has(p.asset))) continue;
      const msg: LiveMessage = { type: 'reading', kind: p.kind, asset: p.asset, device: p.device, ts: new Date(p.ts).toISOString(), values: p.values };
      const text = JSON.stringify(msg);
      if (this.pending.size === 0 && this.socket.bufferedAmount <= this.limits.coalesceAboveBytes) this.socket.send(text);
      else {
        if (!this.laggingSince) this.laggingSince = Date.now();
        // Delete first, so that the map's order is the order of the newest readings.
        this.pending.delete(p.asset);
        this.pending.set(p.asset, text);
      }
    }
  }

  /** Sends what waits once the socket has room; closes a client that stayed behind too long. */
  flush(): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    if (this.socket.bufferedAmount > this.limits.coalesceAboveBytes) {
      if (this.laggingSince && Date.now() - this.laggingSince > this.limits.maxLagMs) this.closeTooSlow();
      return;
    }
    this.laggingSince = 0;
    for (const m of this.pending.values()) this.socket.send(m);
    this.pending.clear();
  }

  /** Stops the timers; the socket is the caller's. */
  dispose(): void {
    clearInterval(this.timer);
    clearTimeout(this.graceTimer);
    this.pending.clear();
  }

  private closeTooSlow(): void {
    this.onSlow(this.socket.bufferedAmount);
    this.pending.clear();
    // The close frame queues behind what the client has not read; a client that reads nothing at all is
    // cut after the grace, so that its unsent bytes do not stay in memory.
    this.socket.close(CLOSE_TOO_SLOW, 'too slow: could not keep up with live readings');
    this.graceTimer = setTimeout(() => this.socket.terminate(), this.limits.closeGraceMs);
    this.graceTimer.unref();
  }
}
