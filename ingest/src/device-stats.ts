import type { DeviceAccounting, DeviceStatus } from '@cityhub/contracts';

/** Per-device accounting (see DeviceAccounting in contracts), for every device heard of since the hub started. */
export class DeviceStatsBook {
  private readonly byDevice = new Map<string, DeviceAccounting>();

  get(id: string): DeviceAccounting {
    let s = this.byDevice.get(id);
    if (!s) {
      s = { readings: 0, rejected: {}, lastSeen: null, lastTs: null, maxSeq: null, gaps: 0, repeats: 0, status: 'unknown' };
      this.byDevice.set(id, s);
    }
    return s;
  }

  /** Accounts one accepted reading. A seq far below the highest seen is a device restart, not a repeat. */
  reading(id: string, seq: number, ts: number, now: number): void {
    const s = this.get(id);
    s.readings++;
    s.lastSeen = now;
    s.lastTs = s.lastTs === null ? ts : Math.max(s.lastTs, ts);
    if (s.maxSeq === null || seq === 0 || seq < s.maxSeq - 100_000) s.maxSeq = seq;
    else if (seq > s.maxSeq) {
      s.gaps += seq - s.maxSeq - 1;
      s.maxSeq = seq;
    } else s.repeats++;
  }

  /** The device's accounting if the hub has heard of it since it started. */
  peek(id: string): DeviceAccounting | undefined {
    return this.byDevice.get(id);
  }

  rejected(id: string, reason: string, now: number): void {
    const s = this.get(id);
    s.rejected[reason] = (s.rejected[reason] ?? 0) + 1;
    s.lastSeen = now;
  }

  status(id: string, status: DeviceStatus): void {
    this.get(id).status = status;
  }

  entries(): IterableIterator<[string, DeviceAccounting]> {
    return this.byDevice.entries();
  }
}
