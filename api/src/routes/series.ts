import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Agg, Kind, METRICS, MetricName, SeriesResponse } from '@cityhub/contracts';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { listParam, stepParam, timeParam } from '../query.js';
import { errors, json, ANONYMOUS } from '../responses.js';

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
} as const;

const Query = z.strictObject({
  asset: listParam('One or more asset ids, comma-separated (at most 50); or give `kind` instead.').optional(),
  kind: Kind.optional().describe('Every asset of a kind (the whole city), instead of `asset`; needs a step.'),
  metric: MetricName.describe('The metric; it must belong to the assets\' kind.'),
  from: timeParam('from', 'Start (inclusive); default an hour before `to`.').optional(),
  to: timeParam('to', 'End (exclusive); default now.').optional(),
  step: stepParam('Bucket width; absent = raw points. With a step, the range widens to whole, epoch-aligned buckets.').optional(),
  agg: Agg.optional().describe('Aggregate per bucket (default mean); needs a step.'),
});

const LIMITS_TEXT = `Limits: at most ${SERIES_LIMITS.maxAssets} assets by id; raw points for ranges up to ${SERIES_LIMITS.maxRawRangeMs / 86_400_000} days; ` +
  `at most ${SERIES_LIMITS.maxBuckets} buckets per series and ${SERIES_LIMITS.maxPoints} points per answer (assets × buckets); ranges up to 3 years.`;

/**
 * `GET /series`: history of one metric for one or more assets (`asset=`), or for every asset of a kind
 * (`kind=`, with a step), raw or per step with an aggregate.
 */
export const seriesRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const assets = new Map(deps.catalogue.features.map((f) => [f.id, f.properties.kind]));
  const idsOfKind = (k: Kind) => deps.catalogue.features.filter((f) => f.properties.kind === k).map((f) => f.id);
  app.get('/series', {
    schema: {
      operationId: 'getSeries', summary: 'History of one metric for some assets, or a whole kind',
      description: 'Raw points, or per `step` with an aggregate, served from the coarsest rollup (1 min, 15 min, 1 h) that fits. ' +
        'Points are `[ts, value]`, ts ISO 8601 (UTC), ascending; empty buckets are absent. ' + LIMITS_TEXT,
      tags: ['readings'], security: ANONYMOUS, querystring: Query,
      response: { 200: json('One series per asset', SeriesResponse), ...errors(400, 401, 404, 429, 503) },
    },
  }, async (req) => {
    const q = req.query;
    if (!q.asset === !q.kind) throw new ApiError('BAD_REQUEST', 'give either asset (one or more ids) or kind (every asset of a kind)');
    if (q.kind && !q.step) throw new ApiError('BAD_REQUEST', 'a whole kind is served per step: give step');
    const ids = q.asset ?? idsOfKind(q.kind!);
    if (q.asset && ids.length > SERIES_LIMITS.maxAssets) throw new ApiError('BAD_REQUEST', `at most ${SERIES_LIMITS.maxAssets} assets per request; use kind= for a whole kind`);
    for (const a of ids) {
      const kind = assets.get(a);
      if (!kind) throw new ApiError('NOT_FOUND', `no asset ${a}`);
      if (!(METRICS[kind] as readonly string[]).includes(q.metric)) throw new ApiError('BAD_REQUEST', `asset ${a} is ${kind}; its metrics are ${METRICS[kind].join(', ')}`);
    }
    let to = q.to ?? Date.now();
    let from = q.from ?? to - 3_600_000;
    if (q.step) {
      // Whole buckets: the range widens to the step's epoch-aligned edges, so that the first and last
      // buckets are complete and the store can answer from its rollups.
      const ms = q.step * 1000;
      from = Math.floor(from / ms) * ms;
      to = Math.ceil(to / ms) * ms;
    }
    if (from >= to) throw new ApiError('BAD_REQUEST', 'from must be before to');
    if (to - from > SERIES_LIMITS.maxRangeMs) throw new ApiError('BAD_REQUEST', 'the range is longer than 3 years');
    if (q.agg && !q.step) throw new ApiError('BAD_REQUEST', 'agg needs a step');
    if (!q.step && to - from > SERIES_LIMITS.maxRawRangeMs) throw new ApiError('BAD_REQUEST', 'raw points are served for at most 7 days; give a step');
    if (q.step && (to - from) / (q.step * 1000) > SERIES_LIMITS.maxBuckets) {
      throw new ApiError('BAD_REQUEST', `that step makes more than ${SERIES_LIMITS.maxBuckets} buckets; use a larger step`);
    }
    if (q.step && ids.length * Math.ceil((to - from) / (q.step * 1000)) > SERIES_LIMITS.maxPoints) {
      throw new ApiError('BAD_REQUEST', `${ids.length} assets at that step make more than ${SERIES_LIMITS.maxPoints} points; use a larger step or a shorter range`);
    }
    const agg = q.step ? (q.agg ?? 'mean') : null;
    const rows = await deps.store.series({ assets: ids, metric: q.metric, from, to, ...(q.step && { stepS: q.step, agg: agg ?? 'mean' }) });
    return {
      metric: q.metric,
      agg,
      step_s: q.step ?? null,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      series: rows.map((r) => ({ asset: r.asset, points: r.points.map(([t, v]) => [new Date(t).toISOString(), v] as [string, number]) })),
    };
  });
};
