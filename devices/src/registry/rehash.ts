/** A device's hash of an older kind (scrypt, another key) and the keyed hash that replaces it. */
export interface Rehash { from: string; to: string; digest: Buffer }

/**
 * New hashes of secrets that matched a hash of an older kind (a registry from before keyed hashes is
 * migrated device by device, as each logs in). Gathered for `delayMs` and handed to `write` together, so
 * that a fleet reconnecting rewrites the registry a few times, not once per device. Writes run one at a time.
 */
export class RehashQueue {
  private readonly pending = new Map<string, Rehash>();
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly write: (batch: Array<[string, Rehash]>) => Promise<void>, private readonly delayMs = 1_000) {}

  add(id: string, r: Rehash): void {
    this.pending.set(id, r);
    this.timer ??= setTimeout(() => void this.flush(), this.delayMs).unref();
  }

  /** Writes what is gathered now (after any write in progress). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.chain = this.chain.then(async () => {
      const batch = [...this.pending];
      this.pending.clear();
      if (batch.length > 0) await this.write(batch);
    });
    return this.chain;
  }
}
