import type { SeriesResult, Store } from '@cityhub/store';
import { readBuckets } from '../series/compose.js';
import type { ExportPlan } from './plan.js';

/** One bucket of one asset: the asset's index in the plan, the bucket start (epoch ms), every metric in the plan's order. */
export interface Row { asset: number; ts: number; values: Array<number | null> }
/**
 * A run of buckets of one asset, in time order. An asset's runs come one after the other: `first` opens the
 * asset (even when it has no bucket at all) and `last` closes it.
 */
export interface AssetBlock { asset: number; rows: Row[]; first: boolean; last: boolean }

/** One store read: some assets over buckets [i0, i1), every metric. */
interface Chunk { assets: number[]; i0: number; i1: number; first: boolean; last: boolean }

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/**
 * Finer buckets read per bucket of the plan: local days and energy deltas are composed from hourly buckets
 * (at most a day's 25), so that a chunk's store read stays within its points whatever the step.
 */
function readsPerBucket(plan: ExportPlan): number {
  const composed = plan.buckets.local || plan.aggs.includes('delta');
  return composed ? Math.max(1, Math.ceil(plan.stepS / 3600) + (plan.buckets.local ? 1 : 0)) : 1;
}

/** Consecutive windows of at most `per` buckets over the plan's buckets, for `assets`. */
function windows(plan: ExportPlan, assets: number[], per: number): Chunk[] {
  const n = plan.buckets.count;
  const out: Chunk[] = [];
  for (let i = 0; i < n; i += per) out.push({ assets, i0: i, i1: Math.min(i + per, n), first: i === 0, last: i + per >= n });
  return out;
}

/**
 * Time-major chunks: every asset over consecutive windows of at most `chunkPoints` points per metric (at
 * least one bucket). A window reads only its own time range, which the store prunes by its zone maps.
 */
export function timeChunks(plan: ExportPlan, chunkPoints: number): Chunk[] {
  const per = Math.max(1, Math.floor(chunkPoints / Math.max(1, plan.assets.length) / readsPerBucket(plan)));
  return windows(plan, range(0, plan.assets.length), per);
}

/**
 * Asset-major chunks: several whole assets over the whole range while they fit in `chunkPoints`, else one
 * asset over consecutive windows. Assets stay in catalogue order.
 */
export function assetChunks(plan: ExportPlan, chunkPoints: number): Chunk[] {
  const reads = plan.buckets.count * readsPerBucket(plan);
  const out: Chunk[] = [];
  if (reads <= chunkPoints) {
    const group = Math.max(1, Math.floor(chunkPoints / reads));
    for (let i = 0; i < plan.assets.length; i += group) {
      out.push({ assets: range(i, Math.min(i + group, plan.assets.length)), i0: 0, i1: plan.buckets.count, first: true, last: true });
    }
    return out;
  }
  const per = Math.max(1, Math.floor(chunkPoints / readsPerBucket(plan)));
  for (let a = 0; a < plan.assets.length; a++) out.push(...windows(plan, [a], per));
  return out;
}

/** Reads a chunk: every metric at once, merged into one row per asset and bucket, per asset in time order. */
async function readChunk(store: Store, plan: ExportPlan, c: Chunk): Promise<Row[][]> {
  const ids = c.assets.map((i) => plan.assets[i]!.id);
  const results: SeriesResult[][] = await Promise.all(plan.metrics.map((metric, m) =>
    readBuckets(store, { assets: ids, metric, agg: plan.aggs[m]!, b: plan.buckets, i0: c.i0, i1: c.i1 })));
  const byAsset = new Map<string, Map<number, Array<number | null>>>();
  results.forEach((series, m) => {
    for (const s of series) {
      let rows = byAsset.get(s.asset);
      if (!rows) byAsset.set(s.asset, (rows = new Map<number, Array<number | null>>()));
      for (const [t, v] of s.points) {
        let row = rows.get(t);
        if (!row) rows.set(t, (row = plan.metrics.map(() => null)));
        row[m] = v;
      }
    }
  });
  return c.assets.map((asset, k) => {
    const rows = byAsset.get(ids[k]!);
    return rows ? [...rows.entries()].sort((x, y) => x[0] - y[0]).map(([ts, values]) => ({ asset, ts, values })) : [];
  });
}

/**
 * Reads chunks one ahead of the consumer, so that the store works while the previous chunk is written out;
 * memory holds at most two chunks whatever the range.
 */
async function* readAhead(store: Store, plan: ExportPlan, chunks: readonly Chunk[], signal?: AbortSignal): AsyncGenerator<[Chunk, Row[][]]> {
  const fetch = (i: number) => {
    const p = readChunk(store, plan, chunks[i]!);
    // A read still running when the consumer stops must not become an unhandled rejection.
    p.catch(() => undefined);
    return p;
  };
  let next = chunks.length ? fetch(0) : null;
  for (let i = 0; i < chunks.length; i++) {
    signal?.throwIfAborted();
    const rows = await next!;
    next = i + 1 < chunks.length ? fetch(i + 1) : null;
    yield [chunks[i]!, rows];
  }
}

/** An export's rows in time order, then catalogue order within a bucket: for CSV and Parquet. */
export async function* readByTime(store: Store, plan: ExportPlan, chunkPoints: number, signal?: AbortSignal): AsyncGenerator<Row[]> {
  for await (const [, perAsset] of readAhead(store, plan, timeChunks(plan, chunkPoints), signal)) {
    yield perAsset.flat().sort((x, y) => x.ts - y.ts || x.asset - y.asset);
  }
}

/** An export asset by asset, each in time order: for GeoJSON, where a Feature holds one asset. */
export async function* readByAsset(store: Store, plan: ExportPlan, chunkPoints: number, signal?: AbortSignal): AsyncGenerator<AssetBlock> {
  for await (const [chunk, perAsset] of readAhead(store, plan, assetChunks(plan, chunkPoints), signal)) {
    for (const [k, rows] of perAsset.entries()) yield { asset: chunk.assets[k]!, rows, first: chunk.first, last: chunk.last };
  }
}
