/** Coded store errors: callers match on `code`, people read `message`. */
export type StoreErrorCode =
  | 'STORE_UNAVAILABLE' // cannot reach or open the store: retry later
  | 'STORE_BAD_INPUT' // the request or points were invalid: do not retry
  | 'STORE_LOCKED' // another process holds the DuckDB file
  | 'STORE_FAILED'; // anything else

export class StoreError extends Error {
  constructor(readonly code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
  }
  /** True when retrying later may succeed. */
  get retryable(): boolean {
    return this.code === 'STORE_UNAVAILABLE' || this.code === 'STORE_LOCKED';
  }
}
