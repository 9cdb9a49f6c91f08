import type { Kind } from '@cityhub/contracts';
import { ROLLUPS, type Point } from '../types.js';
import { add, bucketOf, fold, runsOf, single, type Agg } from './aggregate.js';
import { column, numAt, type Series } from './http.js';
import { floatField, line } from './line-protocol.js';
import { ident, tagIn, timeRange } from './influxql.js';
import { assetTag, DEVICE_TAG, rawMeasurement, ROLLUP_PARTS, rollupField, rollupMeasurement } from './schema.js';

/** One bucket of one series at one resolution, with an aggregate per metric. */
interface Cell {
  asset: string;
  device: string;
  bucket: number;
  metrics: Map<string, Agg>;
}
/** A bucket the batch touched, with the metrics it touched there. */
interface Touched {
  asset: string;
  device: string;
  bucket: number;
  metrics: Set<string>;
}

const key = (asset: string, device: string, bucket: number): string => `${asset}\u0000${device}\u0000${bucket}`;

/**
 * Runs of touched buckets closer than this many buckets (per resolution: 30 min of raw points, 2 h of
 * 1 min rows, 8 h of 15 min rows) are read in one statement: a statement costs a few ms on the server
 * whatever it reads, while the rows in such a gap cost less than that.
 */
const JOIN_GAP_BUCKETS = [30, 8, 8];

/** A statement that reads the finer data of some touched buckets, and what to do with its answer. */
interface Read {
  kind: Kind;
  level: number;
  metrics: string[];
  statement: string;
}

/** Adds a touched bucket (with its metrics) to a level. */
function touch(level: Map<string, Touched>, asset: string, device: string, bucket: number, metrics: Iterable<string>): void {
  const k = key(asset, device, bucket);
  let t = level.get(k);
  if (!t) level.set(k, (t = { asset, device, bucket, metrics: new Set() }));
  for (const m of metrics) t.metrics.add(m);
}

/** The buckets of each resolution that the points fall in, per kind, with the metrics touched there. */
function touchedBuckets(points: readonly Point[]): Map<Kind, Array<Map<string, Touched>>> {
  const out = new Map<Kind, Array<Map<string, Touched>>>();
  for (const p of points) {
    let levels = out.get(p.kind);
    if (!levels) out.set(p.kind, (levels = ROLLUPS.map(() => new Map<string, Touched>())));
    touch(levels[0]!, p.asset, p.device, bucketOf(p.ts, ROLLUPS[0].ms), Object.keys(p.values));
  }
  // Coarser levels from the finer one: a batch has far fewer touched minutes than points.
  for (const levels of out.values()) {
    for (let i = 1; i < ROLLUPS.length; i++) {
      for (const t of levels[i - 1]!.values()) touch(levels[i]!, t.asset, t.device, bucketOf(t.bucket, ROLLUPS[i]!.ms), t.metrics);
    }
  }
  return out;
}

/**
 * The statements that read what the touched buckets of resolution `level` are built from: raw points for
 * 1 min, 1 min rollups for 15 min, 15 min rollups for 1 h. Runs of touched buckets are found per asset,
 * and assets with the same run share a statement (in a live batch, nearly all of them): so a device
 * flushing a week of buffered readings has its week read alone, not the whole city's.
 */
function readsFor(kind: Kind, level: number, touched: Map<string, Touched>): Read[] {
  const r = ROLLUPS[level]!;
  const tag = assetTag(kind);
  const source = level === 0 ? rawMeasurement(kind) : rollupMeasurement(kind, ROLLUPS[level - 1]!.name);
  const byAsset = new Map<string, { buckets: number[]; metrics: Set<string> }>();
  for (const t of touched.values()) {
    let a = byAsset.get(t.asset);
    if (!a) byAsset.set(t.asset, (a = { buckets: [], metrics: new Set() }));
    a.buckets.push(t.bucket);
    for (const m of t.metrics) a.metrics.add(m);
  }
  const byRun = new Map<string, { from: number; to: number; assets: string[]; metrics: Set<string> }>();
  for (const [asset, a] of byAsset) {
    for (const [from, to] of runsOf(a.buckets, r.ms, JOIN_GAP_BUCKETS[level] ?? 8)) {
      const k = `${from}:${to}`;
      let run = byRun.get(k);
      if (!run) byRun.set(k, (run = { from, to, assets: [], metrics: new Set() }));
      run.assets.push(asset);
      for (const m of a.metrics) run.metrics.add(m);
    }
  }
  return [...byRun.values()].map(({ from, to, assets, metrics }) => {
    const fields = level === 0 ? [...metrics] : [...metrics].flatMap((m) => ROLLUP_PARTS.map((p) => rollupField(m, p)));
    return {
      kind,
      level,
      metrics: [...metrics],
      statement: `SELECT ${fields.map(ident).join(', ')} FROM ${ident(source)} WHERE ${tagIn(tag, assets)} AND ${timeRange(from, to)} GROUP BY ${ident(tag)}, ${ident(DEVICE_TAG)}`,
    };
  });
}

/** Folds raw rows into 1 min cells, keeping only the (bucket, metric) pairs the batch touched. */
function cellsFromRaw(series: readonly Series[], tag: string, touched: Map<string, Touched>, into: Map<string, Cell>): void {
  const width = ROLLUPS[0].ms;
  for (const s of series) {
    const asset = s.tags?.[tag];
    const device = s.tags?.[DEVICE_TAG];
    if (asset === undefined || device === undefined) continue;
    const timeAt = column(s, 'time');
    const metricCols = s.columns.map((name, i) => [name, i] as const).filter(([name]) => name !== 'time');
    for (const row of s.values ?? []) {
      const ts = numAt(row, timeAt);
      if (ts === undefined) continue;
      const bucket = bucketOf(ts, width);
      const k = key(asset, device, bucket);
      const t = touched.get(k);
      if (!t) continue;
      for (const [metric, i] of metricCols) {
        const v = numAt(row, i);
        if (v === undefined || !t.metrics.has(metric)) continue;
        let cell = into.get(k);
        if (!cell) into.set(k, (cell = { asset, device, bucket, metrics: new Map() }));
        const agg = cell.metrics.get(metric);
        if (agg) add(agg, v, ts);
        else cell.metrics.set(metric, single(v, ts));
      }
    }
  }
}

/** Reads stored rollup rows as cells. */
function cellsFromRollup(series: readonly Series[], tag: string, metrics: readonly string[], into: Map<string, Cell>): void {
  for (const s of series) {
    const asset = s.tags?.[tag];
    const device = s.tags?.[DEVICE_TAG];
    if (asset === undefined || device === undefined) continue;
    const timeAt = column(s, 'time');
    const cols = metrics.map((m) => [m, ROLLUP_PARTS.map((p) => column(s, rollupField(m, p)))] as const);
    for (const row of s.values ?? []) {
      const bucket = numAt(row, timeAt);
      if (bucket === undefined) continue;
      const k = key(asset, device, bucket);
      for (const [metric, [c, su, mi, ma, la, lt]] of cols) {
        const count = numAt(row, c!);
        if (count === undefined) continue;
        let cell = into.get(k);
        if (!cell) into.set(k, (cell = { asset, device, bucket, metrics: new Map() }));
        cell.metrics.set(metric, {
          count,
          sum: numAt(row, su!) ?? 0,
          min: numAt(row, mi!) ?? Number.POSITIVE_INFINITY,
          max: numAt(row, ma!) ?? Number.NEGATIVE_INFINITY,
          last: numAt(row, la!) ?? 0,
          lastTs: numAt(row, lt!) ?? Number.NEGATIVE_INFINITY,
        });
      }
    }
  }
}

/** Folds finer cells into the touched (bucket, metric) pairs of the next resolution. */
function coarsen(finer: Map<string, Cell>, widthMs: number, touched: Map<string, Touched>): Map<string, Cell> {
  const out = new Map<string, Cell>();
  for (const c of finer.values()) {
    const bucket = bucketOf(c.bucket, widthMs);
    const k = key(c.asset, c.device, bucket);
    const t = touched.get(k);
    if (!t) continue;
    for (const [metric, agg] of c.metrics) {
      if (!t.metrics.has(metric)) continue;
      let cell = out.get(k);
      if (!cell) out.set(k, (cell = { asset: c.asset, device: c.device, bucket, metrics: new Map() }));
      const seen = cell.metrics.get(metric);
      if (seen) fold(seen, agg);
      else cell.metrics.set(metric, { ...agg });
    }
  }
  return out;
}

/** The stored cells with the fresh ones laid over them, metric by metric. */
function overlay(stored: Map<string, Cell>, fresh: Map<string, Cell>): Map<string, Cell> {
  for (const [k, cell] of fresh) {
    const old = stored.get(k);
    if (!old) stored.set(k, { ...cell, metrics: new Map(cell.metrics) });
    else for (const [m, agg] of cell.metrics) old.metrics.set(m, agg);
  }
  return stored;
}

/** The line of a rollup cell (ms precision, time = bucket start). */
function cellLine(measurement: string, tag: string, c: Cell): string {
  const fields: Array<[string, string]> = [];
  for (const [m, a] of c.metrics) {
    const [count, sum, min, max, last, lastTs] = fieldNames(m);
    fields.push(
      [count, floatField(a.count)],
      [sum, floatField(a.sum)],
      [min, floatField(a.min)],
      [max, floatField(a.max)],
      [last, floatField(a.last)],
      [lastTs, floatField(a.lastTs)],
    );
  }
  return line(measurement, { [tag]: c.asset, [DEVICE_TAG]: c.device }, fields, c.bucket);
}

/** The six rollup field names of a metric, kept (metrics are few) rather than built for every cell. */
type SixNames = readonly [string, string, string, string, string, string];
const names = new Map<string, SixNames>();
function fieldNames(metric: string): SixNames {
  let n = names.get(metric);
  if (!n) {
    if (names.size > 1_000) names.clear();
    names.set(metric, (n = ROLLUP_PARTS.map((p) => rollupField(metric, p)) as unknown as SixNames));
  }
  return n;
}

/**
 * The rollup lines that bring every bucket the (already written) points fall in up to date, as DuckDB's
 * rollups.ts does: 1 min from raw, 15 min from 1 min, 1 h from 15 min, for exactly the (series, bucket,
 * metric) the batch touched, late and out-of-order points included. All reads go in one request: the
 * 15 min buckets are built from the stored 1 min rows with the freshly computed ones laid over them (and
 * 1 h likewise), so that no read has to wait for a write. The caller writes the lines; since a rollup
 * point has the same key each time, writing it overwrites the old bucket.
 */
export async function rollupLines(points: readonly Point[], run: (statements: string[]) => Promise<Series[][]>): Promise<string[]> {
  const touched = touchedBuckets(points);
  const reads = [...touched].flatMap(([kind, levels]) => levels.flatMap((t, level) => readsFor(kind, level, t)));
  const answers = await run(reads.map((r) => r.statement));
  const lines: string[] = [];
  for (const [kind, levels] of touched) {
    const tag = assetTag(kind);
    const fresh: Array<Map<string, Cell>> = [];
    const stored = ROLLUPS.map(() => new Map<string, Cell>());
    const raw = new Map<string, Cell>();
    reads.forEach((r, i) => {
      if (r.kind !== kind) return;
      const series = answers[i] ?? [];
      if (r.level === 0) cellsFromRaw(series, tag, levels[0]!, raw);
      else cellsFromRollup(series, tag, r.metrics, stored[r.level - 1]!);
    });
    fresh.push(raw);
    for (let level = 1; level < ROLLUPS.length; level++) {
      fresh.push(coarsen(overlay(stored[level - 1]!, fresh[level - 1]!), ROLLUPS[level]!.ms, levels[level]!));
    }
    ROLLUPS.forEach((r, level) => {
      const m = rollupMeasurement(kind, r.name);
      for (const c of fresh[level]!.values()) lines.push(cellLine(m, tag, c));
    });
  }
  return lines;
}
