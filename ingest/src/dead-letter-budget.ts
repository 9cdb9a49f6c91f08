/**
 * How many bytes of dead letters (payload, message and topic) one device may store a minute. A device
 * that sends garbage fast (one wrote 493 MB of letters in 10 s before payloads were capped) costs at most
 * this much disk a minute; beyond it, its letters are counted (`overBudget`, a metric) but not stored, and
 * the device is still acknowledged. 1 MiB a minute is 128 letters of the largest payload kept, or several
 * thousand readings of a bad buffered array.
 */
export const DEAD_LETTER_BYTES_PER_MINUTE = 1024 * 1024;
const WINDOW_MS = 60_000;

/**
 * A fixed one-minute window per device (letters without a device share one budget). The whole map is
 * cleared when a window ends, so it holds only the devices heard from in the last minute.
 */
export class DeadLetterBudget {
  private readonly spent = new Map<string, number>();
  private windowStart = -Infinity;
  /** Letters refused for want of budget since the hub started. */
  overBudget = 0;
  /** Bytes of the letters refused for want of budget. */
  overBudgetBytes = 0;

  constructor(readonly bytesPerMinute = DEAD_LETTER_BYTES_PER_MINUTE) {}

  /** Takes `bytes` from `device`'s budget at `now`; false (and counted) when they do not fit. */
  take(device: string | null, bytes: number, now: number): boolean {
    if (now - this.windowStart >= WINDOW_MS || now < this.windowStart) {
      this.spent.clear();
      this.windowStart = now;
    }
    const key = device ?? '';
    const used = this.spent.get(key) ?? 0;
    if (used + bytes > this.bytesPerMinute) {
      this.overBudget++;
      this.overBudgetBytes += bytes;
      return false;
    }
    this.spent.set(key, used + bytes);
    return true;
  }
}
