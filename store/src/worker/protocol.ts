import { StoreError, type StoreErrorCode } from '../errors.js';
import type { DuckDbStoreOptions } from '../duckdb/duckdb-store.js';
import type { Store } from '../types.js';

/** The Store methods the hub calls on the thread: all but `name` and `health`, which it answers itself. */
export type Call = Exclude<keyof Store, 'name' | 'health'>;

/** What the thread is started with. */
export interface WorkerInput { duckdb: DuckDbStoreOptions }

/** The hub asks the thread. */
export interface Request { id: number; call: Call; args: unknown[] }

/** An error as it crosses the thread: a StoreError keeps its code. */
export interface WireError { name: string; message: string; code?: StoreErrorCode }

/** The thread answers, tells how the store stands, or logs. */
export type Reply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: WireError }
  | { health: { ok: boolean; detail?: string }; reopens: number }
  | { log: 'info' | 'error'; obj: object; msg?: string };

export function toWire(err: unknown): WireError {
  if (err instanceof StoreError) return { name: err.name, message: err.message, code: err.code };
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'Error', message: String(err) };
}

export function fromWire(w: WireError): Error {
  if (w.code) return new StoreError(w.code, w.message);
  const err = new Error(w.message);
  err.name = w.name;
  return err;
}
