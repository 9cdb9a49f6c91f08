import { z } from 'zod';
import { PROBLEMS } from './problem.js';

const s = (description: string) => z.string().optional().describe(description);

/** The selection parameters of `/entities` and `/temporal/entities` (ETSI GS CIM 009 clause 6.4.3.2). */
export const SelectQuery = z.strictObject({
  type: s('Entity types, comma-separated: RoadSegment, TrafficFlowObserved, WifiPointOfInterest, AccessPoint, ACMeasurement (or their IRIs).'),
  id: s('Entity ids, comma-separated.'),
  idPattern: s('A regular expression the id matches.'),
  q: s('A query on attribute values, e.g. `averageVehicleSpeed<20;occupancy>=0.5`.'),
  attrs: s('Attribute names, comma-separated: only entities with one of them, showing only them.'),
  georel: s('`near;maxDistance==metres`, `near;minDistance==metres` or `within`.'),
  geometry: s('`Point` (near) or `Polygon` (within).'),
  coordinates: s('JSON coordinates of the geometry, e.g. `[22.94,40.63]`.'),
  geoproperty: s('The GeoProperty the geo-query is on: only `location`.'),
  limit: s('Entities per page.'),
  offset: s('Entities to skip.'),
  count: z.enum(['true', 'false']).optional().describe('`true`: the total is in the `NGSILD-Results-Count` header.'),
  options: s('`keyValues` (simplified), `normalized`; temporal: `temporalValues`, `aggregatedValues`.'),
  format: s('`keyValues`/`simplified`, `normalized`; temporal: `temporalValues`, `aggregatedValues`.'),
});

export const EntityBody = z.record(z.string(), z.unknown()).describe('An NGSI-LD entity (or document)');
export const Entities = z.array(EntityBody);

/** Problem details (RFC 7807) as NGSI-LD answers errors. */
export const Problem = z.object({
  type: z.string().describe('https://uri.etsi.org/ngsi-ld/errors/{ErrorType}'),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
}).meta({ id: 'NgsiLdProblem' });

/** An NGSI-LD answer: JSON (context in `Link`) or JSON-LD (context in the body). */
export function ldJson<S extends z.ZodType>(description: string, schema: S) {
  return { description, content: { 'application/json': { schema }, 'application/ld+json': { schema } } };
}

const WHY: Record<number, string> = {
  400: 'BadRequestData or InvalidRequest: the detail names the problem',
  403: 'TooManyResults: limit is above the most one page holds',
  404: 'ResourceNotFound',
  406: 'NotAcceptable: Accept names neither application/json nor application/ld+json',
  422: 'OperationNotSupported: a part of the standard the hub does not implement',
};

/** The problem-details answers of a route. */
export function problems(...codes: Array<(typeof PROBLEMS)[keyof typeof PROBLEMS]>) {
  return Object.fromEntries(codes.map((c) => [c, { description: WHY[c]!, content: { 'application/json': { schema: Problem } } }]));
}
