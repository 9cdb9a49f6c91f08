/**
 * Runs async tasks one after another, in the order they were queued: a process serialises its own changes
 * to a shared document before they meet other processes' (a lock file or a Redis transaction).
 */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  /** Queues `fn` behind every task queued before it; a failed task does not stop the ones after it. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.tail.then(fn, fn);
    this.tail = p.catch(() => undefined);
    return p;
  }

  /** Resolves once every task queued so far has settled. */
  async idle(): Promise<void> {
    await this.tail;
  }
}
