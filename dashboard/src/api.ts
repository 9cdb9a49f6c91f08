import { AssetCollection, LatestResponse, SeriesResponse } from '@cityhub/contracts';
import type { Agg, Kind, MetricName } from '@cityhub/contracts';
import { DashboardError } from './errors.js';

/** Where the HTTP API lives, relative to the page's origin. */
export const API_PREFIX = '/api/v1';

/** An absolute API URL: `origin` + `/api/v1` + `path`, with the query parameters in the given order. */
export function apiUrl(origin: string, path: string, params: Readonly<Record<string, string>> = {}): string {
  const u = new URL(API_PREFIX + path, origin);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.href;
}

/** What a chart asks `/series` for. */
export interface SeriesQuery {
  asset: string;
  metric: MetricName;
  from: Date;
  to: Date;
  /** e.g. `60s`, `15m`. */
  step: string;
  agg: Agg;
}

/** The `/series` URL of one asset's metric over a range. */
export function seriesUrl(origin: string, q: SeriesQuery): string {
  return apiUrl(origin, '/series', {
    asset: q.asset,
    metric: q.metric,
    from: q.from.toISOString(),
    to: q.to.toISOString(),
    step: q.step,
    agg: q.agg,
  });
}

/** The query for the last `minutes` of an asset's metric, ending at `now`, in 1-minute means. */
export function lastMinutesQuery(asset: string, metric: MetricName, now: number, minutes = 60): SeriesQuery {
  return { asset, metric, from: new Date(now - minutes * 60_000), to: new Date(now), step: '60s', agg: 'mean' };
}

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
    res = await fetch(url, { headers: { accept: 'application/json' }, signal: signal ?? null });
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

/** Any GeoJSON object, as the boundary route serves it: MapLibre validates the geometry itself. */
export type GeoJsonObject = { type: string } & Record<string, unknown>;
const GeoJsonObject: Parser<GeoJsonObject> = {
  safeParse(v) {
    return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string'
      ? { success: true, data: v as GeoJsonObject }
      : { success: false, error: { message: 'not a GeoJSON object' } };
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

  /** History of one asset's metric (`GET /series`). */
  series(q: SeriesQuery, signal?: AbortSignal): Promise<SeriesResponse> {
    return fetchJson(seriesUrl(this.origin, q), SeriesResponse, signal);
  }

  /** The municipality boundary (`GET /boundary`), GeoJSON. */
  boundary(): Promise<GeoJsonObject> {
    return fetchJson(apiUrl(this.origin, '/boundary'), GeoJsonObject);
  }
}
