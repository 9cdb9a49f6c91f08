import { StoreError } from '../errors.js';

/** Says what to do when another process holds the database file. */
export function lockedError(path: string, cause?: unknown): StoreError {
  const detail = cause instanceof Error ? cause.message : '';
  const pid = /PID (\d+)/.exec(detail)?.[1];
  const who = pid ? `another process (PID ${pid})` : 'another process';
  return new StoreError(
    'STORE_LOCKED',
    `The DuckDB file ${path} is held by ${who}: DuckDB allows one process per file. Stop that process ` +
      '(another `cityhub start`, `cityhub ingest` or `cityhub api` on the same data directory), point this one at ' +
      'another CITYHUB_DATA_DIR, or run the split deployment on InfluxDB (CITYHUB_STORE=influxdb).',
    { cause },
  );
}

/** A second store on a file this process already has open (DuckDB itself would let it corrupt the file). */
export function openHereError(path: string): StoreError {
  return new StoreError(
    'STORE_LOCKED',
    `The DuckDB file ${path} is already open in this process: share that store rather than opening a second one.`,
  );
}

/** Maps an error thrown while opening the database file. */
export function openError(path: string, e: unknown): StoreError {
  if (e instanceof StoreError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (msg.includes('Could not set lock on file')) return lockedError(path, e);
  if (msg.includes('not a valid DuckDB database file')) {
    return new StoreError('STORE_FAILED', `${path} is not a DuckDB database file: ${msg}`, { cause: e });
  }
  return new StoreError('STORE_UNAVAILABLE', `Cannot open the DuckDB file ${path}: ${msg}`, { cause: e });
}

/**
 * Maps an error thrown by a statement; `what` names the operation for the message. An I/O error (a full
 * disk, say) may pass, so it is worth a retry later; anything else is not.
 */
export function queryError(what: string, e: unknown): StoreError {
  if (e instanceof StoreError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  const code = msg.startsWith('IO Error') ? 'STORE_UNAVAILABLE' : 'STORE_FAILED';
  return new StoreError(code, `DuckDB ${what} failed: ${msg}`, { cause: e });
}
