import type { Kind } from '@cityhub/contracts';
import { expect } from 'vitest';
import { StoreError, type ColumnarResult, type Point, type Store } from '../src/index.js';

/** What an adapter's test hands the suite: a fresh, empty store (not yet initialised) and how to remove it. */
export interface StoreUnderTest {
  store: Store;
  /** Removes whatever the store left behind (files, databases); called after the suite closed the store. */
  cleanup(): Promise<void>;
}

/** What every case receives: the store of the running test, initialised and empty. */
export interface CaseContext {
  readonly store: Store;
}

/** A group of the suite: one `it` per entry, named by its key. */
export type Cases = Record<string, (ctx: CaseContext) => Promise<void>>;

/** 2024-03-31T00:00:00Z, a UTC midnight (and the day Thessaloniki's clocks go forward). */
/** An answer in columns with its JSON arrays parsed (DuckDB writes 47 as `47.0`, JavaScript as `47`). */
export const parsed = (r: ColumnarResult) => ({ ts: r.ts, series: r.series.map((s) => ({ asset: s.asset, values: JSON.parse(s.values) as unknown })) });

export const T0 = Date.UTC(2024, 2, 31);
export const MIN = 60_000;
export const HOUR = 60 * MIN;

/** A reading of one device of one asset. */
export const pt = (asset: string, device: string, ts: number, values: Record<string, number>, kind: Kind = 'traffic', seq = 0): Point =>
  ({ kind, asset, device, ts, seq, values });

/** The raw points of one metric of one asset in [from, to). */
export const raw = async (store: Store, asset: string, metric: string, from: number, to: number) =>
  (await store.series({ assets: [asset], metric, from, to }))[0]?.points;

/** The StoreError code a call fails with, or 'no error'. */
export const code = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(StoreError);
    return (e as StoreError).code;
  }
  return 'no error';
};
