import { StoreError } from '../errors.js';

/** What the store was doing, for messages and for how a client error (4xx) is read. */
export type Operation = 'write' | 'query' | 'delete' | 'probe';

/** The server's own words from an error body: 1.x `{"error"}`, 2.x/3.x `{"code","message"}`, or plain text. */
export function serverMessage(body: string): string {
  try {
    const j: unknown = JSON.parse(body);
    if (typeof j === 'object' && j !== null) {
      const o = j as Record<string, unknown>;
      if (typeof o.error === 'string') return o.error;
      if (typeof o.message === 'string') return o.message;
    }
  } catch {
    // Not JSON: the text itself is the message.
  }
  return body.trim().slice(0, 2_000);
}

/**
 * Maps an HTTP error status. 5xx and 429 are the server's trouble, worth a retry; a 4xx on a write is
 * about the points (bad line protocol, a field type conflict, too large), not worth one; credentials
 * (401/403) and a missing database or bucket (404) are configuration, which no retry fixes either.
 */
export function httpError(op: Operation, url: string, status: number, body: string): StoreError {
  const msg = `InfluxDB ${op} at ${url} failed with HTTP ${status}: ${serverMessage(body) || '(no message)'}`;
  if (status >= 500 || status === 429) return new StoreError('STORE_UNAVAILABLE', msg);
  if (status === 401 || status === 403) {
    return new StoreError('STORE_FAILED', `${msg} (check INFLUX_TOKEN, or the user name and password)`);
  }
  if (status === 404) return new StoreError('STORE_FAILED', `${msg} (check INFLUX_URL and INFLUX_BUCKET)`);
  if (op === 'write' && (status === 400 || status === 413 || status === 422)) return new StoreError('STORE_BAD_INPUT', msg);
  return new StoreError('STORE_FAILED', msg);
}

/** Maps a request that got no HTTP answer: refused, reset, timed out. The server may come back. */
export function networkError(op: Operation, url: string, e: unknown): StoreError {
  if (e instanceof StoreError) return e;
  const err = e as { name?: string; message?: string; code?: string; cause?: { code?: string; message?: string } };
  const timedOut = err.name === 'TimeoutError' || err.name === 'AbortError' || err.name === 'RequestTimedOutError';
  const detail = timedOut
    ? 'timed out'
    : [err.cause?.code ?? err.code, err.cause?.message ?? err.message].filter(Boolean).join(' ');
  return new StoreError('STORE_UNAVAILABLE', `InfluxDB at ${url} is unreachable (${op}): ${detail}`, { cause: e });
}

/** An error inside a 200 answer to a query (InfluxQL reports per statement). */
export function statementError(op: Operation, message: string): StoreError {
  const msg = `InfluxDB ${op} failed: ${message}`;
  if (message.startsWith('database not found') || message.includes('retention policy not found')) {
    return new StoreError('STORE_FAILED', `${msg} (check INFLUX_BUCKET; on InfluxDB 2.x, its DBRP mapping)`);
  }
  // A query the server could not finish for lack of resources is worth retrying later.
  if (/timeout|killed|max-concurrent|too many/i.test(message)) return new StoreError('STORE_UNAVAILABLE', msg);
  return new StoreError('STORE_FAILED', msg);
}
