import type { SeriesResult, Store } from '@cityhub/store';
import type { ExportPlan } from './plan.js';

/** One bucket of one asset: the asset's index in the plan, the bucket start (epoch ms), every metric in the plan's order. */
export interface Row { asset: number; ts: number; values: Array<number | null> }
/**
 * A run of buckets of one asset, in time order. An asset's runs come one after the other: `first` opens the
 * asset (even when it has no bucket at all) and `last` closes it.
 */
export interface AssetBlock { asset: number; rows: Row[]; first: boolean; last: boolean }

/** One store read: some assets over a window, every metric. */
interface Chunk { assets: number[]; from: number; to: number; first: boolean; last: boolean }

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/**
 * Time-major chunks: every asset over consecutive windows of at most `chunkPoints` points per metric (at
 * least one bucket). A window reads only its own time range, which the store prunes by its zone maps.
 */
export function timeChunks(plan: ExportPlan, chunkPoints: number): Chunk[] {
  const stepMs = plan.stepS * 1000;
  const windowMs = Math.max(1, Math.floor(chunkPoints / Math.max(1, plan.assets.length))) * stepMs;
  const all = range(0, plan.assets.length);
  const out: Chunk[] = [];
  for (let t = plan.from; t < plan.to; t += windowMs) {
    out.push({ assets: all, from: t, to: Math.min(t + windowMs, plan.to), first: t === plan.from, last: t + windowMs >= plan.to });
  }
  return out;
}

/**
 * Asset-major chunks: several whole assets over the whole range while they fit in `chunkPoints`, else one
 * asset over consecutive windows. Assets stay in catalogue order.
 */
export function assetChunks(plan: ExportPlan, chunkPoints: number): Chunk[] {
  const stepMs = plan.stepS * 1000;
  const buckets = (plan.to - plan.from) / stepMs;
  const out: Chunk[] = [];
  if (buckets <= chunkPoints) {
    const group = Math.max(1, Math.floor(chunkPoints / buckets));
    for (let i = 0; i < plan.assets.length; i += group) {
      out.push({ assets: range(i, Math.min(i + group, plan.assets.length)), from: plan.from, to: plan.to, first: true, last: true });
    }
    return out;
  }
  const windowMs = chunkPoints * stepMs;
  for (let a = 0; a < plan.assets.length; a++) {
    for (let t = plan.from; t < plan.to; t += windowMs) {
      out.push({ assets: [a], from: t, to: Math.min(t + windowMs, plan.to), first: t === plan.from, last: t + windowMs >= plan.to });
    }
  }
  return out;
}

/** Reads a chunk: every metric at once, merged into one row per asset and bucket, per asset in time order. */
async function readChunk(store: Store, plan: ExportPlan, c: Chunk): Promise<Row[][]> {
  const ids = c.assets.map((i) => plan.assets[i]!.id);
  const results: SeriesResult[][] = await Promise.all(plan.metrics.map((metric, m) =>
    store.series({ assets: ids, metric, from: c.from, to: c.to, stepS: plan.stepS, agg: plan.aggs[m]! })));
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
