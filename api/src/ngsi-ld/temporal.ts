import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Agg } from '@cityhub/contracts';
import type { Store } from '@cityhub/store';
import type { ApiDeps } from '../deps.js';
import { SERIES_LIMITS } from '../routes/series.js';
import { sendLd } from './contexts.js';
import type { Entity } from './entities.js';
import { MEASURES, parseEntityId, type EntityType, type Measure } from './models.js';
import { badRequest, NgsiProblem } from './problem.js';
import { Entities, EntityBody, ldJson, problems, SelectQuery } from './schemas.js';
import { ANONYMOUS } from '../responses.js';
import { parseSelection, selectEntities, type SelectParams } from './select.js';

/** NGSI-LD aggregation methods (clause 4.5.19) and the store's aggregate for each. */
const AGGREGATES: Record<string, Agg | null> = { totalCount: 'count', sum: 'sum', avg: 'mean', min: 'min', max: 'max', distinctCount: null, stddev: null, sumsq: null };

const TimeParams = {
  timerel: z.enum(['before', 'after', 'between']).optional().describe('before, after or between `timeAt` (and `endTimeAt`).'),
  timeAt: z.string().optional().describe('ISO 8601 date-time.'),
  endTimeAt: z.string().optional().describe('ISO 8601 date-time; with between.'),
  lastN: z.string().optional().describe('Only the last N instances of each attribute.'),
  aggrMethods: z.string().optional().describe('totalCount, sum, avg, min, max (comma-separated), served from the rollups as /api/v1/series.'),
  aggrPeriodDuration: z.string().optional().describe('ISO 8601 duration of each aggregation period, e.g. PT15M, PT1H, P1D.'),
};
const TemporalQuery = z.strictObject({ ...SelectQuery.shape, ...TimeParams });
const OneQuery = z.strictObject({ attrs: SelectQuery.shape.attrs, options: SelectQuery.shape.options, format: SelectQuery.shape.format, ...TimeParams });
type TimeInput = { [K in keyof typeof TimeParams]?: string };

/** A temporal query: the range, and per-attribute last N or aggregation per period. */
interface TimeQuery { from: number; to: number; lastN?: number; aggr?: { methods: string[]; stepS: number }; format: 'normalized' | 'temporalValues' | 'aggregatedValues' }

/** Parses an ISO 8601 duration of days, hours, minutes and seconds (`P1D`, `PT15M`) to seconds. */
export function parseDuration(d: string): number | null {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(d);
  if (!m || d === 'P' || d.endsWith('T')) return null;
  return Number(m[1] ?? 0) * 86_400 + Number(m[2] ?? 0) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
}

function time(name: string, v: string | undefined): number {
  const t = v === undefined ? NaN : Date.parse(v);
  if (!Number.isFinite(t) || !/^\d{4}-\d{2}-\d{2}T/.test(v!)) throw badRequest(`${name} must be an ISO 8601 date-time`);
  return t;
}

function parseAggregation(p: TimeInput): TimeQuery['aggr'] {
  if (p.aggrMethods === undefined) {
    if (p.aggrPeriodDuration !== undefined) throw badRequest('aggrPeriodDuration goes with aggrMethods');
    return undefined;
  }
  const methods = p.aggrMethods.split(',').map((m) => m.trim());
  for (const m of methods) {
    if (!(m in AGGREGATES)) throw badRequest(`unknown aggregation method ${m}`);
    if (AGGREGATES[m] === null) throw new NgsiProblem('OperationNotSupported', `${m} is not served: use totalCount, sum, avg, min or max`);
  }
  if (p.aggrPeriodDuration === undefined) throw new NgsiProblem('OperationNotSupported', 'give aggrPeriodDuration: one period over the whole range (P0D) is not served');
  const stepS = parseDuration(p.aggrPeriodDuration);
  if (!stepS) throw badRequest('aggrPeriodDuration must be an ISO 8601 duration such as PT15M, PT1H or P1D');
  return { methods, stepS };
}

/** Reads `timerel`/`timeAt`/`endTimeAt`/`lastN`/aggregation, with the same range rules as `/api/v1/series`. */
export function parseTimeQuery(p: TimeInput & Pick<SelectParams, 'options' | 'format'>, now = Date.now()): TimeQuery {
  const aggr = parseAggregation(p);
  const span = aggr ? SERIES_LIMITS.maxRangeMs : SERIES_LIMITS.maxRawRangeMs;
  let from: number;
  let to: number;
  if (p.timerel === undefined) {
    if (p.timeAt !== undefined || p.endTimeAt !== undefined) throw badRequest('timeAt needs timerel');
    [from, to] = [now - 86_400_000, now];
  } else if (p.timerel === 'between') {
    [from, to] = [time('timeAt', p.timeAt), time('endTimeAt', p.endTimeAt)];
  } else {
    if (p.endTimeAt !== undefined) throw badRequest('endTimeAt goes with timerel=between');
    const at = time('timeAt', p.timeAt);
    [from, to] = p.timerel === 'before' ? [Math.max(0, at - span), at] : [at, Math.max(at + 1, now)];
  }
  if (aggr) {
    // Whole, epoch-aligned periods, exactly as /api/v1/series widens its range to whole steps.
    const ms = aggr.stepS * 1000;
    [from, to] = [Math.floor(from / ms) * ms, Math.ceil(to / ms) * ms];
    if ((to - from) / ms > SERIES_LIMITS.maxBuckets) throw new NgsiProblem('TooManyResults', `more than ${SERIES_LIMITS.maxBuckets} periods; use a longer aggrPeriodDuration`);
  }
  if (from >= to) throw badRequest('the range is empty: timeAt must be before endTimeAt');
  if (to - from > span) throw badRequest(aggr ? 'the range is longer than 3 years' : 'raw instances are served for at most 7 days: narrow the range or aggregate');
  let lastN: number | undefined;
  if (p.lastN !== undefined) {
    if (!/^[1-9]\d*$/.test(p.lastN)) throw badRequest('lastN must be a positive whole number');
    lastN = Number(p.lastN);
  }
  const opts = (p.options ?? '').split(',');
  const format = aggr || opts.includes('aggregatedValues') || p.format === 'aggregatedValues' ? 'aggregatedValues'
    : opts.includes('temporalValues') || p.format === 'temporalValues' ? 'temporalValues' : 'normalized';
  if (format === 'aggregatedValues' && !aggr) throw badRequest('aggregatedValues needs aggrMethods and aggrPeriodDuration');
  return { from, to, ...(lastN !== undefined && { lastN }), ...(aggr && { aggr }), format };
}

const iso = (t: number) => new Date(t).toISOString();
const scaled = (m: Measure, method: string, v: number) => (method === 'totalCount' ? v : Math.round(v * m.scale * 1e9) / 1e9);

/** One attribute's history for some assets, in the shape the format asks for. */
async function attributeHistory(store: Store, assets: string[], m: Measure, t: TimeQuery): Promise<Map<string, unknown>> {
  const out = new Map<string, Record<string, unknown> | unknown[]>();
  if (t.aggr) {
    const ms = t.aggr.stepS * 1000;
    for (const method of t.aggr.methods) {
      const rows = await store.series({ assets, metric: m.metric, from: t.from, to: t.to, stepS: t.aggr.stepS, agg: AGGREGATES[method]! });
      for (const r of rows) {
        const attr = (out.get(r.asset) ?? { type: 'Property' }) as Record<string, unknown>;
        const pts = t.lastN ? r.points.slice(-t.lastN) : r.points;
        attr[method] = pts.map(([ts, v]) => [scaled(m, method, v), iso(ts), iso(ts + ms)]);
        out.set(r.asset, attr);
      }
    }
    return out;
  }
  for (const r of await store.series({ assets, metric: m.metric, from: t.from, to: t.to })) {
    const pts = t.lastN ? r.points.slice(-t.lastN) : r.points;
    out.set(r.asset, t.format === 'temporalValues'
      ? { type: 'Property', values: pts.map(([ts, v]) => [scaled(m, '', v), iso(ts)]), unitCode: m.unitCode }
      : pts.map(([ts, v]) => ({ type: 'Property', value: scaled(m, '', v), observedAt: iso(ts), unitCode: m.unitCode })));
  }
  return out;
}

/** The temporal representation of some entities: id, type and the history of each measured attribute. */
async function temporalOf(store: Store, entities: readonly Entity[], attrs: string[] | undefined, t: TimeQuery): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = entities.map((e) => ({ id: e.id, type: e.type }));
  const byType = new Map<EntityType, number[]>();
  entities.forEach((e, i) => byType.set(e.type, [...(byType.get(e.type) ?? []), i]));
  for (const [type, idx] of byType) {
    const assets = idx.map((i) => parseEntityId(entities[i]!.id)!.asset);
    for (const m of MEASURES[type]) {
      if (attrs && !attrs.includes(m.attr)) continue;
      const hist = await attributeHistory(store, assets, m, t);
      idx.forEach((i, k) => {
        const h = hist.get(assets[k]!);
        if (h) out[i]![m.attr] = h;
      });
    }
  }
  return out;
}

/** `GET /temporal/entities` and `/temporal/entities/{id}`: history of the measured attributes. */
export const temporalRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const tags = ['NGSI-LD'];
  app.get('/temporal/entities', {
    schema: {
      operationId: 'ngsiQueryTemporal', summary: 'History of entities (NGSI-LD temporal)', tags, security: ANONYMOUS, querystring: TemporalQuery,
      description: 'Entities selected as in /entities (at least one filter), with the history of their measured attributes: `timerel` ' +
        'before/after/between `timeAt`/`endTimeAt` (default: the last 24 hours; raw instances for at most 7 days), `lastN`, or ' +
        '`aggrMethods` per `aggrPeriodDuration` (epoch-aligned periods, equal to /api/v1/series with that step).',
      response: { 200: ldJson('Entities in temporal representation', Entities), ...problems(400, 403, 406, 422) },
    },
  }, async (req, reply) => {
    const s = parseSelection(req.query, { requireFilter: true });
    const t = parseTimeQuery(req.query);
    const { page, total } = await selectEntities(deps.store, deps.catalogue, s);
    if (s.count) reply.header('ngsild-results-count', String(total));
    return sendLd(req, reply, await temporalOf(deps.store, page, s.attrs, t));
  });
  app.get('/temporal/entities/:entityId', {
    schema: {
      operationId: 'ngsiGetTemporalEntity', summary: 'History of one entity (NGSI-LD temporal)', tags, security: ANONYMOUS, querystring: OneQuery,
      params: z.object({ entityId: z.string().describe('The entity id') }),
      response: { 200: ldJson('The entity in temporal representation', EntityBody), ...problems(400, 404, 406, 422) },
    },
  }, async (req, reply) => {
    const id = req.params.entityId;
    const s = parseSelection({ id, ...(req.query.options !== undefined && { options: req.query.options }) }, { requireFilter: false });
    const t = parseTimeQuery(req.query);
    const { page } = parseEntityId(id) ? await selectEntities(deps.store, deps.catalogue, s) : { page: [] };
    if (!page[0]) throw new NgsiProblem('ResourceNotFound', `no entity ${id}`);
    const attrs = req.query.attrs?.split(',').map((a) => a.trim());
    return sendLd(req, reply, (await temporalOf(deps.store, page, attrs, t))[0]!);
  });
};
