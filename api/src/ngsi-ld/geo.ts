import { badRequest, NgsiProblem } from './problem.js';
import type { Geometry } from './entities.js';

/** A geo-query (`georel`, `geometry`, `coordinates`) of ETSI GS CIM 009 clause 4.10: near and within. */
export type GeoQuery =
  | { rel: 'near'; point: [number, number]; maxDistance?: number; minDistance?: number }
  | { rel: 'within'; polygon: Array<Array<[number, number]>> };

const EARTH_M = 6_371_008.8;
const rad = (d: number) => (d * Math.PI) / 180;

/** Great-circle distance in metres between two [lon, lat] positions. */
export function distanceM(a: readonly number[], b: readonly number[]): number {
  const dLat = rad(b[1]! - a[1]!);
  const dLon = rad(b[0]! - a[0]!);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a[1]!)) * Math.cos(rad(b[1]!)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Distance in metres from a point to a segment, on a local flat projection (exact enough within a city). */
function segmentDistanceM(p: readonly number[], a: readonly number[], b: readonly number[]): number {
  const k = Math.cos(rad(p[1]!));
  const [ax, ay, bx, by, px, py] = [a[0]! * k, a[1]!, b[0]! * k, b[1]!, p[0]! * k, p[1]!];
  const len2 = (bx - ax) ** 2 + (by - ay) ** 2;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / len2));
  return distanceM(p, [(ax + t * (bx - ax)) / k, ay + t * (by - ay)]);
}

/** The shortest distance from a point to a geometry (Point or LineString), in metres. */
export function distanceToGeometryM(p: readonly number[], g: Geometry): number {
  if (g.type === 'Point') return distanceM(p, g.coordinates);
  const c = g.coordinates;
  if (c.length === 1) return distanceM(p, c[0]!);
  let best = Infinity;
  for (let i = 1; i < c.length; i++) best = Math.min(best, segmentDistanceM(p, c[i - 1]!, c[i]!));
  return best;
}

/** Ray casting over the outer ring, minus holes. */
function inPolygon(p: readonly number[], rings: Array<Array<[number, number]>>): boolean {
  const inRing = (ring: Array<[number, number]>) => {
    let inside = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i]!;
      const [xj, yj] = ring[j]!;
      if (yi > p[1]! !== yj > p[1]! && p[0]! < ((xj - xi) * (p[1]! - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  };
  return inRing(rings[0]!) && !rings.slice(1).some(inRing);
}

/** Whether a geometry matches a geo-query: near by distance, within when every vertex is inside the polygon. */
export function matchesGeo(g: Geometry, q: GeoQuery): boolean {
  if (q.rel === 'within') {
    const pts = g.type === 'Point' ? [g.coordinates] : g.coordinates;
    return pts.every((pt) => inPolygon(pt, q.polygon));
  }
  const d = distanceToGeometryM(q.point, g);
  return (q.maxDistance === undefined || d <= q.maxDistance) && (q.minDistance === undefined || d >= q.minDistance);
}

const isPosition = (v: unknown): v is [number, number] =>
  Array.isArray(v) && v.length >= 2 && v.every((n) => typeof n === 'number' && Number.isFinite(n));

function parseCoordinates(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('coordinates must be a JSON array of positions, e.g. [22.94,40.63]');
  }
}

/** Parses `georel`, `geometry` and `coordinates`; all three or none. */
export function parseGeoQuery(georel?: string, geometry?: string, coordinates?: string): GeoQuery | undefined {
  if (georel === undefined && geometry === undefined && coordinates === undefined) return undefined;
  if (!georel || !geometry || !coordinates) throw badRequest('a geo-query needs georel, geometry and coordinates together');
  const [rel, ...mods] = georel.split(';');
  const c = parseCoordinates(coordinates);
  if (rel === 'near') {
    if (geometry !== 'Point' || !isPosition(c)) throw badRequest('near needs geometry=Point and coordinates=[lon,lat]');
    const q: GeoQuery = { rel: 'near', point: [c[0], c[1]] };
    for (const m of mods) {
      const mm = /^(maxDistance|minDistance)==(\d+(?:\.\d+)?)$/.exec(m);
      if (!mm) throw badRequest(`near takes maxDistance==metres or minDistance==metres, not ${m}`);
      q[mm[1] as 'maxDistance' | 'minDistance'] = Number(mm[2]);
    }
    if (q.maxDistance === undefined && q.minDistance === undefined) throw badRequest('near needs maxDistance or minDistance');
    return q;
  }
  if (rel === 'within') {
    const ok = geometry === 'Polygon' && Array.isArray(c) && c.length > 0 && c.every((r) => Array.isArray(r) && r.length >= 4 && r.every(isPosition));
    if (!ok) throw badRequest('within needs geometry=Polygon and coordinates=[[[lon,lat],…]] (closed rings)');
    return { rel: 'within', polygon: c as Array<Array<[number, number]>> };
  }
  if (['contains', 'intersects', 'equals', 'disjoint', 'overlaps'].includes(rel!)) {
    throw new NgsiProblem('OperationNotSupported', `georel ${rel} is not implemented: the hub answers near and within`);
  }
  throw badRequest(`georel must be near;maxDistance==metres, near;minDistance==metres or within, not ${georel}`);
}
