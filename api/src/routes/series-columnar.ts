import { COLUMNAR_MEDIA_TYPE, SeriesColumnar, SeriesResponse } from '@cityhub/contracts';
import { roundTo, type ColumnarResult, type SeriesResult } from '@cityhub/store';
import type { Bucketing } from '../series/buckets.js';

/** The two forms of a `/series` answer in the OpenAPI document, by media type. */
export const seriesAnswers = {
  description: 'One series per asset: points (`application/json`), or in columns',
  content: { 'application/json': { schema: SeriesResponse }, [COLUMNAR_MEDIA_TYPE]: { schema: SeriesColumnar } },
};

export const COLUMNS_TEXT = `In columns (\`format=columnar\` or \`Accept: ${COLUMNAR_MEDIA_TYPE}\`, with a step): the bucket times once ` +
  '(`ts_ms`, epoch ms, every bucket of the range), then per asset its values at those times, `null` where it has none, ' +
  'rounded to the metric\'s precision (`digits`).';

/**
 * Whether a request asks for columns: `format=columnar`, or (with no `format`) the columnar media type in
 * `Accept` with a non-zero q.
 */
export function wantsColumns(format: 'points' | 'columnar' | undefined, accept: string | undefined): boolean {
  if (format) return format === 'columnar';
  if (!accept) return false;
  return accept.split(',').some((part) => {
    const [type = '', ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    return type === COLUMNAR_MEDIA_TYPE && !params.some((p) => /^q=0(\.0*)?$/.test(p));
  });
}

type Head = Omit<SeriesColumnar, 'ts_ms' | 'series'>;

/**
 * The JSON text of an answer in columns, put together around the store's per-asset arrays without parsing
 * them: no value of the answer passes through JavaScript.
 */
export function columnarBody(head: Head, r: ColumnarResult): string {
  const start = JSON.stringify({ ...head, ts_ms: r.ts });
  const series = r.series.map((s) => `{"asset":${JSON.stringify(s.asset)},"values":${s.values}}`);
  return `${start.slice(0, -1)},"series":[${series.join(',')}]}`;
}

/**
 * Buckets composed in the api (local days, deltas) in columns: every bucket start once, then each asset's
 * values at those starts, rounded to `digits` as the stores round.
 */
export function columnsOfRows(b: Bucketing, rows: readonly SeriesResult[], digits: number): ColumnarResult {
  const ts = Array.from({ length: b.count }, (_, i) => b.edge(i));
  const index = new Map(ts.map((t, i) => [t, i]));
  const series = rows.map((r) => {
    const values: Array<number | null> = ts.map(() => null);
    for (const [t, v] of r.points) {
      const i = index.get(t);
      if (i !== undefined) values[i] = roundTo(v, digits);
    }
    return { asset: r.asset, values: JSON.stringify(values) };
  });
  return { ts, series };
}
