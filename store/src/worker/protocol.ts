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

/** A round of spool records as it crosses to the thread: one buffer (moved, not copied) and each record's length. */
export interface PackedRecords { buffer: ArrayBuffer; lengths: number[] }

export function packRecords(records: readonly Uint8Array[]): PackedRecords {
  let size = 0;
  for (const r of records) size += r.byteLength;
  const bytes = new Uint8Array(new ArrayBuffer(size));
  let at = 0;
  for (const r of records) {
    bytes.set(r, at);
    at += r.byteLength;
  }
  return { buffer: bytes.buffer, lengths: records.map((r) => r.byteLength) };
}

export function unpackRecords(p: PackedRecords): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  for (const n of p.lengths) {
    out.push(new Uint8Array(p.buffer, at, n));
    at += n;
  }
  return out;
}
