import { kindOfMetric, KINDS, type Agg as AggName, type Kind } from '@cityhub/contracts';
import { resolutionFor, ROLLUPS, type SeriesQuery, type SeriesResult } from '../types.js';
import { bucketOf } from './aggregate.js';
import { column, numAt, type Series } from './http.js';
import { ident, tagIn, timeRange } from './influxql.js';
import { assetTag, DEVICE_TAG, measurement, rawMeasurement, rollupField } from './schema.js';

/**
 * One bucket of one asset while it is being put together from the answers of several statements (one per
 * kind when the metric's kind is unknown) and, for `last`, several devices.
 */
interface Acc {
  sum: number;
  count: number;
  min: number;
  max: number;
  last: number;
  lastTs: number;
  lastDevice: string;
}

const emptyAcc = (): Acc => ({
  sum: 0, count: 0, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY,
  last: Number.NaN, lastTs: Number.NEGATIVE_INFINITY, lastDevice: '',
});

/** Takes `value` as the bucket's last if it is later, or as late and from a greater device id (DuckDB's order). */
function takeLast(a: Acc, value: number, ts: number, device: string): void {
  if (ts > a.lastTs || (ts === a.lastTs && device > a.lastDevice)) {
    a.last = value;
    a.lastTs = ts;
    a.lastDevice = device;
  }
}

const finish: Record<AggName, (a: Acc) => number> = {
  mean: (a) => a.sum / a.count,
  min: (a) => a.min,
  max: (a) => a.max,
  sum: (a) => a.sum,
  count: (a) => a.count,
  last: (a) => a.last,
};

/**
 * What a statement asks for, by aggregate, under the aliases the fold reads: `s` sum, `c` count, `mn`
 * min, `mx` max, `l` last value and `lt` its time. From a rollup the mean is Σsum / Σcount, exact at any
 * step that is a multiple of its width.
 */
function columnsFor(agg: AggName, metric: string, source: 'raw' | 'rollup rows' | 'rollup buckets'): string {
  const f = (part: 'sum' | 'count' | 'min' | 'max' | 'last' | 'last_ts') => ident(source === 'raw' ? metric : rollupField(metric, part));
  if (source === 'rollup rows') {
    const rows = { mean: ['sum', 'count'], sum: ['sum'], count: ['count'], min: ['min'], max: ['max'], last: ['last', 'last_ts'] } as const;
    const alias = { sum: 's', count: 'c', min: 'mn', max: 'mx', last: 'l', last_ts: 'lt' } as const;
    return rows[agg].map((part) => `${f(part)} AS "${alias[part]}"`).join(', ');
  }
  const sum = `sum(${f('sum')}) AS "s"`;
  const count = source === 'raw' ? `count(${f('count')}) AS "c"` : `sum(${f('count')}) AS "c"`;
  switch (agg) {
    case 'mean':
      return `${sum}, ${count}`;
    case 'sum':
      return sum;
    case 'count':
      return count;
    case 'min':
      return `min(${f('min')}) AS "mn"`;
    case 'max':
      return `max(${f('max')}) AS "mx"`;
    case 'last':
      // Per device the selector max() brings along the `_last` of the row it picked.
      return `max(${f('last_ts')}) AS "lt", ${f('last')} AS "l"`;
  }
}

type Buckets = Map<string, Map<number, Acc>>;

/** The accumulator of an asset's bucket, made on first use; undefined for an asset not asked for. */
const bucketAcc = (byAsset: Buckets, asset: string, bucket: number): Acc | undefined => {
  const buckets = byAsset.get(asset);
  if (!buckets) return undefined;
  let a = buckets.get(bucket);
  if (!a) buckets.set(bucket, (a = emptyAcc()));
  return a;
};

/**
 * Folds one series of an answer into the buckets, whatever shape the statement had: rows already per
 * bucket (GROUP BY time) or per stored row (bucketed here), with any of the aliased columns, and raw
 * values (`v`, whose time is their own) for `last` from raw. Across devices the greatest
 * (time of last, device) gives `last`.
 */
function foldSeries(s: Series, tag: string, stepMs: number, byAsset: Buckets): void {
  const [t, cs, cc, cmn, cmx, cl, clt, cv] = ['time', 's', 'c', 'mn', 'mx', 'l', 'lt', 'v'].map((c) => column(s, c)) as
    [number, number, number, number, number, number, number, number];
  const asset = s.tags?.[tag] ?? '';
  const device = s.tags?.[DEVICE_TAG] ?? '';
  for (const row of s.values ?? []) {
    const time = numAt(row, t);
    if (time === undefined) continue;
    const a = bucketAcc(byAsset, asset, bucketOf(time, stepMs));
    if (!a) continue;
    const [sum, count, min, max] = [numAt(row, cs), numAt(row, cc), numAt(row, cmn), numAt(row, cmx)];
    if (sum !== undefined) a.sum += sum;
    if (count !== undefined) a.count += count;
    if (min !== undefined && min < a.min) a.min = min;
    if (max !== undefined && max > a.max) a.max = max;
    const [last, lastTs, v] = [numAt(row, cl), numAt(row, clt), numAt(row, cv)];
    if (last !== undefined && lastTs !== undefined) takeLast(a, last, lastTs, device);
    if (v !== undefined) takeLast(a, v, time, device);
  }
}

/**
 * The statement of a bucketed query over one kind's measurement:
 * - from a rollup whose width is the step (the dashboard's usual ask), its rows as they are: there is
 *   nothing to aggregate per device, and streaming rows measured cheaper than `GROUP BY time()`;
 * - from a rollup at a coarser step, and from raw points, aggregated per bucket by the server;
 * - `last` from raw points, bucketed here: InfluxQL's selectors report the bucket start, not the time of
 *   the point they picked, so a tie across devices could not be settled on the server.
 */
function bucketedStatement(kind: Kind, q: SeriesQuery, agg: AggName, assets: readonly string[]): string {
  const tag = assetTag(kind);
  const res = resolutionFor(q);
  const stepMs = (q.stepS ?? 0) * 1000;
  const from = `FROM ${ident(measurement(kind, res))} WHERE ${tagIn(tag, assets)} AND ${timeRange(q.from, q.to)}`;
  const perDevice = `${ident(tag)}, ${ident(DEVICE_TAG)}`;
  if (res !== 'raw' && ROLLUPS.find((r) => r.name === res)?.ms === stepMs) {
    return `SELECT ${columnsFor(agg, q.metric, 'rollup rows')} ${from} GROUP BY ${perDevice}`;
  }
  if (res === 'raw' && agg === 'last') return rawStatement(kind, q, assets);
  const by = agg === 'last' ? perDevice : ident(tag);
  return `SELECT ${columnsFor(agg, q.metric, res === 'raw' ? 'raw' : 'rollup buckets')} ${from} GROUP BY time(${stepMs}ms), ${by} fill(none)`;
}

/** The raw points of the metric, one series per asset and device. */
function rawStatement(kind: Kind, q: SeriesQuery, assets: readonly string[]): string {
  const tag = assetTag(kind);
  return `SELECT ${ident(q.metric)} AS "v" FROM ${ident(rawMeasurement(kind))} WHERE ${tagIn(tag, assets)} AND ${timeRange(q.from, q.to)} GROUP BY ${ident(tag)}, ${ident(DEVICE_TAG)}`;
}

/** Raw points per asset, ascending time, then device (DuckDB's order). */
async function readRaw(q: SeriesQuery, kinds: readonly Kind[], assets: readonly string[], run: Run): Promise<Map<string, Array<[number, number]>>> {
  const answers = await run(kinds.map((k) => rawStatement(k, q, assets)));
  const byAsset = new Map<string, Array<[number, string, number]>>(assets.map((a) => [a, []]));
  kinds.forEach((kind, i) => {
    const tag = assetTag(kind);
    for (const s of answers[i] ?? []) {
      const rows = byAsset.get(s.tags?.[tag] ?? '');
      const device = s.tags?.[DEVICE_TAG] ?? '';
      const [t, cv] = [column(s, 'time'), column(s, 'v')];
      for (const row of s.values ?? []) {
        const [ts, v] = [numAt(row, t), numAt(row, cv)];
        if (ts !== undefined && v !== undefined) rows?.push([ts, device, v]);
      }
    }
  });
  const out = new Map<string, Array<[number, number]>>();
  for (const [asset, rows] of byAsset) {
    rows.sort((x, y) => x[0] - y[0] || (x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0));
    out.set(asset, rows.map(([ts, , v]) => [ts, v]));
  }
  return out;
}

/** Bucketed points per asset, ascending bucket. */
async function readBucketed(q: SeriesQuery, agg: AggName, kinds: readonly Kind[], assets: readonly string[], run: Run): Promise<Map<string, Array<[number, number]>>> {
  const answers = await run(kinds.map((k) => bucketedStatement(k, q, agg, assets)));
  const byAsset: Buckets = new Map(assets.map((a) => [a, new Map<number, Acc>()]));
  const stepMs = (q.stepS ?? 0) * 1000;
  kinds.forEach((kind, i) => {
    for (const s of answers[i] ?? []) foldSeries(s, assetTag(kind), stepMs, byAsset);
  });
  const f = finish[agg];
  const out = new Map<string, Array<[number, number]>>();
  for (const [asset, buckets] of byAsset) {
    out.set(asset, [...buckets.entries()].sort((x, y) => x[0] - y[0]).map(([bucket, a]) => [bucket, f(a)]));
  }
  return out;
}

type Run = (statements: string[]) => Promise<Series[][]>;

/**
 * History of one metric for several assets over [from, to) in InfluxQL, raw or bucketed; `q` is already
 * checked. A bucketed query reads the rollup `resolutionFor(q)` names when one fits, else raw points;
 * buckets are aligned to the epoch, as `GROUP BY time()` aligns them, and bounded above, with
 * `fill(none)` so that empty buckets stay absent. The metric's kind picks the measurement; a metric no
 * kind lists is looked for in all three.
 */
export async function readSeries(q: SeriesQuery, run: Run): Promise<SeriesResult[]> {
  const assets = [...new Set(q.assets)];
  const known = kindOfMetric(q.metric);
  const kinds = known ? [known] : [...KINDS];
  const points = q.stepS === undefined || q.agg === undefined
    ? await readRaw(q, kinds, assets, run)
    : await readBucketed(q, q.agg, kinds, assets, run);
  // An asset named twice gets its own copy, so that no two results share one array.
  const given = new Set<string>();
  return q.assets.map((asset) => {
    const p = points.get(asset) ?? [];
    const fresh = !given.has(asset);
    given.add(asset);
    return { asset, points: fresh ? p : [...p] };
  });
}
