import type { AssetCollection, AssetFeature, AssetProperties, Kind } from '@cityhub/contracts';
import { DashboardError } from '../page/errors.js';

/** Any GeoJSON object, as the boundary route serves it: MapLibre validates the geometry itself. */
export type GeoJsonObject = { type: string } & Record<string, unknown>;

/** The map source that holds each kind's assets. */
export const SOURCE_OF_KIND = { traffic: 'links', wifi: 'hotspots', energy: 'buildings' } as const satisfies Record<Kind, string>;
export type AssetSourceId = (typeof SOURCE_OF_KIND)[Kind];

/** The metric each kind is coloured and charted by. */
export const PRIMARY_METRIC = { traffic: 'speed_kmh', wifi: 'clients', energy: 'power_kw' } as const satisfies Record<Kind, string>;

/**
 * How full an asset is by its primary reading: speed over free-flow speed, clients over capacity, power over
 * the power limit. Null when the reading or the reference is missing or not positive.
 */
export function ratioOf(props: AssetProperties, values: Readonly<Record<string, number>>): number | null {
  let num: number | undefined;
  let den: number;
  switch (props.kind) {
    case 'traffic': num = values.speed_kmh; den = props.free_flow_kmh; break;
    case 'wifi': num = values.clients; den = props.capacity; break;
    case 'energy': num = values.power_kw; den = props.power_limit_kw; break;
  }
  if (num === undefined || !Number.isFinite(num) || !(den > 0)) return null;
  return num / den;
}

/** The loaded catalogue, indexed by asset id. */
export class AssetIndex {
  private readonly byId = new Map<string, AssetFeature>();

  constructor(collections: readonly AssetCollection[]) {
    for (const c of collections) for (const f of c.features) this.byId.set(f.id, f);
  }

  /** The asset with this id, or undefined. */
  find(id: string): AssetFeature | undefined {
    return this.byId.get(id);
  }

  /** The asset with this id; throws `UNKNOWN_ASSET` when it is not in the catalogue. */
  get(id: string): AssetFeature {
    const f = this.byId.get(id);
    if (!f) throw new DashboardError('UNKNOWN_ASSET', `no asset "${id}" in the catalogue`);
    return f;
  }

  /** Every asset, in catalogue order. */
  all(): AssetFeature[] {
    return [...this.byId.values()];
  }

  get size(): number {
    return this.byId.size;
  }
}

/** West, south, east, north of every coordinate of the given features (LineStrings and Points). */
export function boundsOf(features: readonly AssetFeature[]): [number, number, number, number] | null {
  let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
  const add = ([x, y]: readonly [number, number]) => {
    if (x < w) w = x;
    if (x > e) e = x;
    if (y < s) s = y;
    if (y > n) n = y;
  };
  for (const f of features) {
    if (f.geometry.type === 'Point') add(f.geometry.coordinates);
    else for (const p of f.geometry.coordinates) add(p);
  }
  return Number.isFinite(w) ? [w, s, e, n] : null;
}

/** West, south, east, north of every position anywhere in a GeoJSON object (any geometry, any nesting). */
export function bboxOfGeoJson(obj: unknown): [number, number, number, number] | null {
  let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
  const visit = (v: unknown): void => {
    if (!Array.isArray(v)) {
      if (v && typeof v === 'object') for (const x of Object.values(v)) visit(x);
      return;
    }
    if (v.length >= 2 && typeof v[0] === 'number' && typeof v[1] === 'number') {
      const [x, y] = v as [number, number];
      w = Math.min(w, x); e = Math.max(e, x); s = Math.min(s, y); n = Math.max(n, y);
      return;
    }
    for (const x of v) visit(x);
  };
  visit(obj);
  return Number.isFinite(w) ? [w, s, e, n] : null;
}

/** The coordinate halfway along a LineString by length (in degrees, fine at city scale), or a Point's own. */
export function midpointOf(f: AssetFeature): [number, number] {
  if (f.geometry.type === 'Point') return [...f.geometry.coordinates];
  const c = f.geometry.coordinates;
  const seg: number[] = [];
  let total = 0;
  for (let i = 1; i < c.length; i++) {
    const d = Math.hypot(c[i]![0] - c[i - 1]![0], c[i]![1] - c[i - 1]![1]);
    seg.push(d);
    total += d;
  }
  let left = total / 2;
  for (let i = 0; i < seg.length; i++) {
    const d = seg[i]!;
    if (left <= d && d > 0) {
      const a = c[i]!, b = c[i + 1]!;
      const f2 = left / d;
      return [a[0] + (b[0] - a[0]) * f2, a[1] + (b[1] - a[1]) * f2];
    }
    left -= d;
  }
  const only = c[0];
  if (!only) throw new DashboardError('UNKNOWN_ASSET', `asset "${f.id}" has no coordinates`);
  return [...only];
}
