import type { Logger, RefusedReading } from '@cityhub/contracts';

const WINDOW_MS = 60_000;

/**
 * Rejections at warn, rate-limited per device: the first message a device has refused in a minute is
 * logged with its reasons; the others of that minute are counted, and logged as one line when the minute
 * ends (at the next rejection of any device). The map holds only the devices refused in the current minute.
 */
export class RejectionLog {
  private readonly seen = new Map<string, { suppressed: number; reasons: Record<string, number> }>();
  private windowStart = -Infinity;

  constructor(private readonly logger: Logger, private readonly windowMs = WINDOW_MS) {}

  note(device: string, refused: readonly RefusedReading[], now: number): void {
    if (now - this.windowStart >= this.windowMs || now < this.windowStart) this.roll(now);
    const s = this.seen.get(device);
    if (!s) {
      this.seen.set(device, { suppressed: 0, reasons: {} });
      const first = refused[0]!;
      this.logger.warn({
        device, reason: first.reason, field: first.field, message: first.message.slice(0, 300), refused: refused.length,
        ...(first.device && { child: first.device }),
      }, 'readings refused');
      return;
    }
    for (const r of refused) {
      s.suppressed++;
      s.reasons[r.reason] = (s.reasons[r.reason] ?? 0) + 1;
    }
  }

  private roll(now: number): void {
    for (const [device, s] of this.seen) {
      if (s.suppressed > 0) this.logger.warn({ device, refused: s.suppressed, reasons: s.reasons, windowS: this.windowMs / 1000 }, 'more readings refused (logged once a minute per device)');
    }
    this.seen.clear();
    this.windowStart = now;
  }
}
