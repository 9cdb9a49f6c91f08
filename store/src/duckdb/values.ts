import type { DuckDBValue } from '@duckdb/node-api';
import { StoreError } from '../errors.js';

/** Reads a numeric cell (DOUBLE arrives as number, BIGINT as bigint) as a JS number. */
export function num(v: DuckDBValue): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw new StoreError('STORE_FAILED', `expected a number from DuckDB, got ${typeof v}`);
}

/** Reads a VARCHAR cell. */
export function str(v: DuckDBValue): string {
  if (typeof v === 'string') return v;
  throw new StoreError('STORE_FAILED', `expected a string from DuckDB, got ${typeof v}`);
}

/** Reads a nullable VARCHAR cell. */
export function strOrNull(v: DuckDBValue): string | null {
  return v === null ? null : str(v);
}

