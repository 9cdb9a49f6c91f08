import { AlertList, AssetCollection, DEFAULT_CITY_TZ, LatestResponse, PageConfig, Rule, SeriesResponse } from '@cityhub/contracts';
import type { Agg, Kind, MetricName } from '@cityhub/contracts';
import { DashboardError } from '../page/errors.js';
import { takePrefetched } from './prefetch.js';
import type { StyleSpecification } from '../map/style.js';
import type { GeoJsonObject } from '../model/assets.js';

/** Where the HTTP API lives, relative to the page's origin. */
export const API_PREFIX = '/api/v1';

/** An absolute API URL: `origin` + `/api/v1` + `path`, with the query parameters in the given order. */
export function apiUrl(origin: string, path: string, params: Readonly<Record<string, string>> = {}): string {
  const u = new URL(API_PREFIX + path, origin);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.href;
}

/**
 * What a chart or view asks `/series` for: some assets (up to 50) or every asset of a kind, one metric over
 * [from, to) (epoch ms) at a step (`60s`, `15m`, `1h`, or seconds) with an aggregate.
 */
export interface SeriesQuery {
  asset?: readonly string[];
  kind?: Kind;
  metric: MetricName;
  from: number;
  to: number;
  step: string;
  agg: Agg;
}

/** The `/series` URL of a query; parameters in a fixed order, so equal queries have equal URLs (cache keys). */
export function seriesUrl(origin: string, q: SeriesQuery): string {
  return apiUrl(origin, '/series', {
    ...(q.asset ? { asset: q.asset.join(',') } : {}),
    ...(q.kind ? { kind: q.kind } : {}),
    metric: q.metric,
    from: new Date(q.from).toISOString(),
    to: new Date(q.to).toISOString(),
    step: q.step,
    agg: q.agg,
  });
}

/** The `/kpis` URL of a period [from, to) (epoch ms; the API widens both to whole hours). */
export function kpisUrl(origin: string, from: number, to: number): string {
  return apiUrl(origin, '/kpis', { from: new Date(from).toISOString(), to: new Date(to).toISOString() });
}

/** What the page uses when the hub has no `/config` (or cannot answer it): the offline map, 30 days, Athens. */
export const DEFAULT_PAGE_CONFIG: PageConfig = { basemapStyle: null, retentionDays: 30, tz: DEFAULT_CITY_TZ };

/** The live WebSocket URL for a page at `location`: `wss:` under `https:`, `ws:` otherwise. */
export function liveUrl(location: { protocol: string; host: string }, kinds?: readonly Kind[]): string {
  const u = new URL(`${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${API_PREFIX}/live`);
  if (kinds?.length) u.searchParams.set('kind', kinds.join(','));
  return u.href;
}

/** Anything with zod's `safeParse`: the contracts' schemas, without the dashboard importing zod itself. */
export interface Parser<T> {
  safeParse(v: unknown): { success: true; data: T } | { success: false; error: { message: string } };
}

/** Fetches `url` and parses the JSON body with `schema`; coded errors for every way that can fail. */
export async function fetchJson<T>(url: string, schema: Parser<T>, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await (takePrefetched(url) ?? fetch(url, { headers: { accept: 'application/json' }, signal: signal ?? null }));
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new DashboardError('NETWORK', `cannot reach ${url}: ${(e as Error).message}`);
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new DashboardError(res.ok ? 'BAD_RESPONSE' : 'HTTP_ERROR', `${url} answered ${res.status} without JSON`, res.status);
  }
  if (!res.ok) {
    const msg = (body as { error?: { message?: unknown } } | null)?.error?.message;
    throw new DashboardError('HTTP_ERROR', `${url} answered ${res.status}${typeof msg === 'string' ? `: ${msg}` : ''}`, res.status);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new DashboardError('BAD_RESPONSE', `${url} answered an unexpected body: ${parsed.error.message}`);
  return parsed.data;
}

const GeoJsonObject: Parser<GeoJsonObject> = {
  safeParse(v) {
    return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string'
      ? { success: true, data: v as GeoJsonObject }
      : { success: false, error: { message: 'not a GeoJSON object' } };
  },
};

/** `GET /api/v1/rules`, reduced to what the dashboard shows: each valid rule's name by its id. */
export const RuleNames: Parser<Map<string, string>> = {
  safeParse(v) {
    const rules = (v as { rules?: unknown } | null)?.rules;
    if (!Array.isArray(rules)) return { success: false, error: { message: 'rules must be an array' } };
    const names = new Map<string, string>();
    for (const r of rules) {
      const parsed = Rule.safeParse(r);
      if (parsed.success) names.set(parsed.data.id, parsed.data.name);
    }
    return { success: true, data: names };
  },
};

/** The API calls the dashboard makes, bound to one origin. */
export class Api {
  constructor(readonly origin: string) {}

  /** The catalogue of one kind (`GET /assets?kind=`). */
  assets(kind: Kind): Promise<AssetCollection> {
    return fetchJson(apiUrl(this.origin, '/assets', { kind }), AssetCollection);
  }

  /** The latest reading of every asset of one kind (`GET /latest?kind=`). */
  latest(kind: Kind): Promise<LatestResponse> {
    return fetchJson(apiUrl(this.origin, '/latest', { kind }), LatestResponse);
  }

  /** History of a metric (`GET /series`). */
  series(q: SeriesQuery, signal?: AbortSignal): Promise<SeriesResponse> {
    return fetchJson(seriesUrl(this.origin, q), SeriesResponse, signal);
  }

  /**
   * The page configuration (`GET /config`). A hub without the route (404) or that cannot answer gives the
   * default, the offline map: a basemap is an option, never a reason not to start.
   */
  async config(): Promise<PageConfig> {
    try {
      const c = await fetchJson(apiUrl(this.origin, '/config'), PageConfig);
      return { ...c, basemapStyle: c.basemapStyle || null };
    } catch (e) {
      if (!(e instanceof DashboardError && e.status === 404)) console.warn(`no page configuration: ${(e as Error).message}`);
      return DEFAULT_PAGE_CONFIG;
    }
  }

  /** A basemap style document from `url` (any origin), checked only for being a version 8 style. */
  async basemap(url: string): Promise<StyleSpecification> {
    return fetchJson(url, StyleDocument);
  }

  /** Open and past alerts opened in the last 30 days (`GET /alerts?state=all`). */
  alerts(): Promise<AlertList> {
    return fetchJson(apiUrl(this.origin, '/alerts', { state: 'all' }), AlertList);
  }

  /** The alert rules' names by id (`GET /rules`). */
  ruleNames(): Promise<Map<string, string>> {
    return fetchJson(apiUrl(this.origin, '/rules'), RuleNames);
  }

  /** The municipality boundary (`GET /boundary`), GeoJSON. */
  boundary(): Promise<GeoJsonObject> {
    return fetchJson(apiUrl(this.origin, '/boundary'), GeoJsonObject);
  }
}

const StyleDocument: Parser<StyleSpecification> = {
  safeParse(v) {
    const d = v as { version?: unknown; sources?: unknown; layers?: unknown } | null;
    return typeof d === 'object' && d !== null && d.version === 8 && typeof d.sources === 'object' && Array.isArray(d.layers)
      ? { success: true, data: v as StyleSpecification }
      : { success: false, error: { message: 'not a MapLibre style (version 8, sources, layers)' } };
  },
};
