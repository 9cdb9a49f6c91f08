/**
 * How the spool keeps a lingering record (one a device sent alone, appended to an idle spool) waiting for other
 * devices' before the write that makes them all durable. With `nap`, by sleeping the thread once the event loop
 * has finished its turn, then writing in the next turn, after the sockets that became readable meanwhile were read:
 * a trickle of readings then wakes the thread once a delay rather than once a reading (by hand, the live city
 * cost 3.2–3.4 % of a core so against 4.5 %). Without it, or when the sleep is refused, by a timer.
 */
export class Linger {
  private cancel: (() => void) | null = null;

  constructor(private readonly nap: ((ms: number) => boolean) | undefined, private readonly napped: () => void) {}

  /** True while a record waits. */
  get waiting(): boolean {
    return this.cancel !== null;
  }

  /** Calls `write` after `delayMs`, unless a wait is already under way (its write takes the new record along). */
  start(delayMs: number, write: () => void): void {
    if (this.cancel) return;
    const later = () => {
      const t = setTimeout(write, delayMs);
      this.cancel = () => clearTimeout(t);
    };
    const nap = this.nap;
    if (!nap) return later();
    const i = setImmediate(() => {
      if (!nap(delayMs)) return later();
      this.napped();
      // An immediate set from an immediate runs in the next turn of the loop, after its poll for I/O.
      const j = setImmediate(write);
      this.cancel = () => clearImmediate(j);
    });
    this.cancel = () => clearImmediate(i);
  }

  /** Stops waiting (the write is under way). */
  stop(): void {
    this.cancel?.();
    this.cancel = null;
  }
}
