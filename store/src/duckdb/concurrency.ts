/**
 * The two disciplines that keep one process's writer loop and HTTP handlers from stepping on each other:
 * writes run one at a time on the write connection (a transaction on one DuckDB connection must never
 * interleave with another), and reads borrow a connection of their own from a small pool.
 */

/** Runs tasks one after another, in the order they were given; a failed task does not stop the next. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once every task given so far has settled. */
  async idle(): Promise<void> {
    await this.tail;
  }
}

/** A fixed set of resources lent to one task at a time each; tasks wait their turn in order. */
export class Pool<T> {
  private readonly free: T[];
  private readonly waiting: Array<(item: T) => void> = [];
  private refusal: (() => Error) | undefined;

  constructor(private readonly items: readonly T[]) {
    this.free = [...items];
  }

  async use<R>(task: (item: T) => Promise<R>): Promise<R> {
    const item = await this.acquire();
    try {
      return await task(item);
    } finally {
      this.release(item);
    }
  }

  /**
   * Takes every item back for good: waits for the tasks that hold or already wait for one, and refuses
   * later tasks with `refusal()`. Returns the items, now idle, for the caller to dispose of.
   */
  async drain(refusal: () => Error): Promise<readonly T[]> {
    this.refusal = refusal;
    const held: T[] = [];
    // One at a time and never released, so that every item is idle at once when this resolves.
    for (let i = 0; i < this.items.length; i++) held.push(await this.take());
    return held;
  }

  private acquire(): Promise<T> {
    return this.refusal ? Promise.reject(this.refusal()) : this.take();
  }

  private take(): Promise<T> {
    const item = this.free.pop();
    return item !== undefined ? Promise.resolve(item) : new Promise<T>((resolve) => this.waiting.push(resolve));
  }

  private release(item: T): void {
    const next = this.waiting.shift();
    if (next) next(item);
    else this.free.push(item);
  }
}
