import type { Server } from 'node:http';
import { performance } from 'node:perf_hooks';

/** After an HTTP answer, this long (ms) without one before the acknowledging thread may sleep again. */
export const NAP_QUIET_MS = 1_000;

/**
 * Lets the acknowledging thread sleep through a lone message's commit delay (`SpoolOptions.nap`), so that the
 * messages of other devices arriving meanwhile are read and written together after it: a trickle of readings
 * then wakes the hub once a delay rather than once a reading, which for the live city is about a quarter of its
 * CPU. A sleep holds everything on the thread, so it is refused while anyone else waits on it: an HTTP
 * request in flight, one answered in the last `NAP_QUIET_MS`, or an open WebSocket (the live feed, MQTT over
 * WebSocket), or a device connecting in the last `NAP_QUIET_MS` (`busy`); ingest refuses it too while a device
 * sends back to back or more than a trickle arrives. A request that arrives during a sleep waits at most its rest
 * (`CITYHUB_SPOOL_COMMIT_DELAY_MS`).
 */
export class Naps {
  private inFlight = 0;
  private sockets = 0;
  private answeredAt = 0;
  private busyAt = -Infinity;
  private readonly cell = new Int32Array(new SharedArrayBuffer(4));
  /** Sleeps taken and their length in ms, since start. */
  readonly stats = { naps: 0, ms: 0 };

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Counts the requests and WebSockets of `server` as others waiting on the thread. */
  watch(server: Pick<Server, 'on'>): void {
    server.on('request', (_req, res) => {
      this.inFlight++;
      res.once('close', () => {
        this.inFlight--;
        this.answeredAt = this.now();
      });
    });
    server.on('upgrade', (_req, socket) => {
      this.sockets++;
      socket.once('close', () => {
        this.sockets--;
        this.answeredAt = this.now();
      });
    });
  }

  /** Holds off sleeps for `NAP_QUIET_MS`: something else needs the thread (a device connecting). */
  busy(): void {
    this.busyAt = this.now();
  }

  /** True when nobody else waits on the thread. */
  quiet(): boolean {
    const now = this.now();
    return this.inFlight === 0 && this.sockets === 0 && now - this.answeredAt >= NAP_QUIET_MS && now - this.busyAt >= NAP_QUIET_MS;
  }

  /** Sleeps `ms` and returns true, or returns false at once when someone else waits on the thread. */
  readonly nap = (ms: number): boolean => {
    if (!this.quiet()) return false;
    const t0 = this.now();
    Atomics.wait(this.cell, 0, 0, ms);
    this.stats.naps++;
    this.stats.ms += this.now() - t0;
    return true;
  };
}
