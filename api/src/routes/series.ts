import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { cityClock, COLUMNAR_MEDIA_TYPE, COUNTER_METRICS, DEFAULT_CITY_TZ, Kind, METRIC_PRECISION, METRICS, MetricName, SeriesAgg, type SeriesColumnar } from '@cityhub/contracts';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { listParam, localTimeParam, readTime, stepParam, tzParam } from '../query.js';
import { bucketing, describeBuckets, type Bucketing } from '../series/buckets.js';
import { readBuckets } from '../series/compose.js';
import { errors, ANONYMOUS } from '../responses.js';
import { columnarBody, columnsOfRows, COLUMNS_TEXT, seriesAnswers, wantsColumns } from './series-columnar.js';

/** Bounds that keep any one request's work finite (documented in the README). */
export const SERIES_LIMITS = {
  maxAssets: 50,
  /** Raw points are served for ranges up to this long. */
  maxRawRangeMs: 7 * 86_400_000,
  /** Buckets per series with a step. */
  maxBuckets: 10_000,
  maxRangeMs: 3 * 366 * 86_400_000,
  /** Points in one answer, over all its series (assets × buckets). */
  maxPoints: 500_000,
  /** Local days and `agg=delta` are composed from hourly buckets: assets × hours of the range at most this. */
  maxComposedHours: 2_000_000,
} as const;

const Query = z.strictObject({
  asset: listParam('One or more asset ids, comma-separated (at most 50); or give `kind` instead.').optional(),
  kind: Kind.optional().describe('Every asset of a kind (the whole city), instead of `asset`; needs a step.'),
  metric: MetricName.describe('The metric; it must belong to the assets\' kind.'),
  from: localTimeParam('from', 'Start (inclusive); default an hour before `to`.').optional(),
  to: localTimeParam('to', 'End (exclusive); default now.').optional(),
  step: stepParam('Bucket width; absent = raw points. With a step, the range widens to whole buckets: local calendar days in `tz` ' +
    'for a whole number of days (23 or 25 hours on a daylight saving change), else epoch-aligned (UTC) steps.').optional(),
  agg: SeriesAgg.optional().describe('Aggregate per bucket (default mean); needs a step. `delta`: the energy used per bucket, ' +
    'from a meter counter (energy_kwh), across gaps and meter replacements (README "Energy used").'),
  tz: tzParam().optional(),
  format: z.enum(['points', 'columnar']).optional()
    .describe(`\`points\` (default: \`[ts, value]\` per asset) or \`columnar\` (needs a step; as \`Accept: ${COLUMNAR_MEDIA_TYPE}\`).`),
});
type Query = z.infer<typeof Query>;

const LIMITS_TEXT = `Limits: at most ${SERIES_LIMITS.maxAssets} assets by id; raw points for ranges up to ${SERIES_LIMITS.maxRawRangeMs / 86_400_000} days; ` +
  `at most ${SERIES_LIMITS.maxBuckets} buckets per series and ${SERIES_LIMITS.maxPoints} points per answer (assets × buckets); ranges up to 3 years; local days and \`delta\` over at most ${SERIES_LIMITS.maxComposedHours} asset-hours.`;

/** Checks a request against {@link SERIES_LIMITS}; `b` is its bucketing when it has a step. */
function checkLimits(q: Query, assets: number, from: number, to: number, b: Bucketing | null): void {
  if (to - from > SERIES_LIMITS.maxRangeMs) throw new ApiError('BAD_REQUEST', 'the range is longer than 3 years');
  if (q.agg && !b) throw new ApiError('BAD_REQUEST', 'agg needs a step');
  if (q.agg === 'delta' && !COUNTER_METRICS.has(q.metric)) throw new ApiError('BAD_REQUEST', `agg=delta is for meter counters (${[...COUNTER_METRICS].join(', ')})`);
  if (!b && to - from > SERIES_LIMITS.maxRawRangeMs) throw new ApiError('BAD_REQUEST', 'raw points are served for at most 7 days; give a step');
  if (!b) return;
  if (b.count > SERIES_LIMITS.maxBuckets) throw new ApiError('BAD_REQUEST', `that step makes more than ${SERIES_LIMITS.maxBuckets} buckets; use a larger step`);
  if (assets * b.count > SERIES_LIMITS.maxPoints) {
    throw new ApiError('BAD_REQUEST', `${assets} assets at that step make more than ${SERIES_LIMITS.maxPoints} points; use a larger step or a shorter range`);
  }
  // Local days and deltas are composed from hourly buckets: those are bounded too.
  if ((b.local || q.agg === 'delta') && assets * Math.ceil((to - from) / 3_600_000) > SERIES_LIMITS.maxComposedHours) {
    throw new ApiError('BAD_REQUEST', `${assets} assets over that range make more than ${SERIES_LIMITS.maxComposedHours} asset-hours to compose; use a shorter range or fewer assets`);
  }
}

/**
 * `GET /series`: history of one metric for one or more assets (`asset=`), or for every asset of a kind
 * (`kind=`, with a step), raw or per step with an aggregate; as points per asset, or in columns.
 */
export const seriesRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const assets = new Map(deps.catalogue.features.map((f) => [f.id, f.properties.kind]));
  const idsOfKind = (k: Kind) => deps.catalogue.features.filter((f) => f.properties.kind === k).map((f) => f.id);
  app.get('/series', {
    schema: {
      operationId: 'getSeries', summary: 'History of one metric for some assets, or a whole kind',
      description: 'Raw points, or per `step` with an aggregate, served from the coarsest rollup (1 min, 15 min, 1 h) that fits. ' +
        'Points are `[ts, value]`, ts ISO 8601 (UTC), ascending; empty buckets are absent. A bare date in `from`/`to` is midnight in `tz` ' +
        '(default the city\'s zone, `CITYHUB_TZ`); a step of whole days buckets by local calendar days of `tz`, composed from the hourly ' +
        'rollups, each listed in `buckets` with its length in hours (23 or 25 on a daylight saving change, named in `note`). ' + COLUMNS_TEXT + ' ' + LIMITS_TEXT,
      tags: ['readings'], security: ANONYMOUS, querystring: Query,
      response: { 200: seriesAnswers, ...errors(400, 401, 404, 429, 503) },
    },
  }, async (req, reply) => {
    const q = req.query;
    const columns = wantsColumns(q.format, req.headers.accept);
    if (columns && !q.step) throw new ApiError('BAD_REQUEST', 'history in columns is per step: give step');
    // The same URL answers in two forms, chosen by Accept: caches keep them apart.
    void reply.header('vary', 'accept');
    if (!q.asset === !q.kind) throw new ApiError('BAD_REQUEST', 'give either asset (one or more ids) or kind (every asset of a kind)');
    if (q.kind && !q.step) throw new ApiError('BAD_REQUEST', 'a whole kind is served per step: give step');
    const ids = q.asset ?? idsOfKind(q.kind!);
    if (q.asset && ids.length > SERIES_LIMITS.maxAssets) throw new ApiError('BAD_REQUEST', `at most ${SERIES_LIMITS.maxAssets} assets per request; use kind= for a whole kind`);
    for (const a of ids) {
      const kind = assets.get(a);
      if (!kind) throw new ApiError('NOT_FOUND', `no asset ${a}`);
      if (!(METRICS[kind] as readonly string[]).includes(q.metric)) throw new ApiError('BAD_REQUEST', `asset ${a} is ${kind}; its metrics are ${METRICS[kind].join(', ')}`);
    }
    const clock = cityClock(q.tz ?? deps.timeZone ?? DEFAULT_CITY_TZ);
    const to0 = readTime(q.to, clock) ?? Date.now();
    const from0 = readTime(q.from, clock) ?? to0 - 3_600_000;
    if (from0 >= to0) throw new ApiError('BAD_REQUEST', 'from must be before to');
    const b = q.step ? bucketing(from0, to0, q.step, clock) : null;
    const from = b ? b.edge(0) : from0;
    const to = b ? b.edge(b.count) : to0;
    checkLimits(q, ids.length, from, to, b);
    const agg = q.step ? (q.agg ?? 'mean') : null;
    if (columns && b && agg) {
      const digits = METRIC_PRECISION[q.metric];
      const head = { metric: q.metric, agg, step_s: b.stepS, from: new Date(from).toISOString(), to: new Date(to).toISOString(), tz: clock.zone, digits };
      // Epoch steps come from the store in one statement; local days and deltas are composed, then put in columns.
      const r = !b.local && agg !== 'delta'
        ? await deps.store.seriesColumns({ assets: ids, metric: q.metric, from, to, stepS: b.stepS, agg, digits })
        : columnsOfRows(b, await readBuckets(deps.store, { assets: ids, metric: q.metric, agg, b }), digits);
      // The answer's JSON text, which fastify sends as it is (a string with a JSON media type is not serialised again).
      return reply.type(COLUMNAR_MEDIA_TYPE).send(columnarBody(head, r) as unknown as SeriesColumnar);
    }
    const rows = b ? await readBuckets(deps.store, { assets: ids, metric: q.metric, agg: agg ?? 'mean', b }) : await deps.store.series({ assets: ids, metric: q.metric, from, to });
    return {
      metric: q.metric,
      agg,
      step_s: q.step ?? null,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      tz: clock.zone,
      ...(b ? describeBuckets(b, clock) : { buckets: null, note: null }),
      series: rows.map((r) => ({ asset: r.asset, points: r.points.map(([t, v]) => [new Date(t).toISOString(), v] as [string, number]) })),
    };
  });
};
