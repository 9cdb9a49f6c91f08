import type { AssetCollection } from '@cityhub/contracts';
import type { Store } from '@cityhub/store';
import { keyValues, loadEntities, valueOf, type Entity } from './entities.js';
import { matchesGeo, parseGeoQuery, type GeoQuery } from './geo.js';
import { ENTITY_TYPES, parseEntityId, TYPE_NAMES, type EntityType } from './models.js';
import { badRequest, NgsiProblem } from './problem.js';
import { matchesQ, parseQ, type QFilter } from './q.js';

/** The query parameters that select entities, shared by `/entities` and `/temporal/entities`. */
export interface SelectParams {
  type?: string; id?: string; idPattern?: string; q?: string; attrs?: string;
  georel?: string; geometry?: string; coordinates?: string; geoproperty?: string;
  limit?: string; offset?: string; count?: string; options?: string; format?: string;
}

/** The most entities one page holds (limit), and the default. */
export const PAGE = { max: 1000, default: 20 } as const;
const DOMAIN = { traffic: 'Transportation', wifi: 'WifiNetwork', energy: 'Energy' } as const;
/** The IRI a type expands to in the Smart Data Models contexts. */
export const typeIri = (t: EntityType) => `https://smartdatamodels.org/dataModel.${DOMAIN[ENTITY_TYPES[t]]}/${t}`;

const list = (s: string | undefined) => (s === undefined ? undefined : s.split(',').map((x) => x.trim()).filter(Boolean));

/** A type name as given (short, or the Smart Data Models IRI) to the hub's type, or null when the hub has no such type. */
export function typeOf(name: string): EntityType | null {
  return TYPE_NAMES.find((t) => t === name || typeIri(t) === name) ?? null;
}

function nonNegative(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v)) throw badRequest(`${name} must be a whole number`);
  return Number(v);
}

interface Selection {
  types: EntityType[]; ids?: Set<string>; pattern?: RegExp; q?: QFilter; geo?: GeoQuery; attrs?: string[];
  limit: number; offset: number; count: boolean; keyValues: boolean;
}

/** Reads and checks the selection parameters; a bad one is a BadRequestData problem. */
export function parseSelection(p: SelectParams, opts: { requireFilter: boolean }): Selection {
  const typeNames = list(p.type);
  const ids = list(p.id);
  if (opts.requireFilter && !typeNames && !ids && !p.idPattern && !p.q && !p.attrs && !p.georel) {
    throw badRequest('give at least one of type, id, idPattern, q, attrs or a geo-query');
  }
  for (const id of ids ?? []) if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$/.test(id)) throw badRequest(`id ${id} is not a URI`);
  let pattern: RegExp | undefined;
  try {
    pattern = p.idPattern === undefined ? undefined : new RegExp(p.idPattern);
  } catch {
    throw badRequest(`idPattern ${p.idPattern} is not a valid pattern`);
  }
  if (p.geoproperty !== undefined && p.geoproperty !== 'location') throw new NgsiProblem('OperationNotSupported', 'geo-queries are on location only');
  const limit = nonNegative('limit', p.limit, PAGE.default);
  if (limit > PAGE.max) throw new NgsiProblem('TooManyResults', `limit is at most ${PAGE.max}; page with offset`);
  const count = p.count === 'true';
  if (p.count !== undefined && p.count !== 'true' && p.count !== 'false') throw badRequest('count must be true or false');
  if (limit === 0 && !count) throw badRequest('limit=0 needs count=true');
  const options = list(p.options) ?? [];
  for (const o of options) if (!['keyValues', 'normalized', 'sysAttrs', 'temporalValues', 'aggregatedValues'].includes(o)) throw badRequest(`unknown option ${o}`);
  if (p.format !== undefined && !['keyValues', 'simplified', 'normalized', 'temporalValues', 'aggregatedValues'].includes(p.format)) throw badRequest(`unknown format ${p.format}`);
  const types = typeNames ? typeNames.map(typeOf).filter((t): t is EntityType => t !== null)
    : ids ? [...new Set(ids.map((i) => parseEntityId(i)?.type).filter((t): t is EntityType => !!t))] : TYPE_NAMES;
  return {
    types, ...(ids && { ids: new Set(ids) }), ...(pattern && { pattern }), ...(p.q !== undefined && { q: parseQ(p.q)! }),
    ...(p.georel !== undefined || p.geometry !== undefined || p.coordinates !== undefined ? { geo: parseGeoQuery(p.georel, p.geometry, p.coordinates)! } : {}),
    ...(p.attrs !== undefined && { attrs: list(p.attrs)! }),
    limit, offset: nonNegative('offset', p.offset, 0), count,
    keyValues: options.includes('keyValues') || p.format === 'keyValues' || p.format === 'simplified',
  };
}

/** Whether an entity passes a selection's filters (not its page). */
export function matches(e: Entity, s: Selection): boolean {
  if (s.ids && !s.ids.has(e.id)) return false;
  if (s.pattern && !s.pattern.test(e.id)) return false;
  if (s.attrs && !s.attrs.some((a) => a in e)) return false;
  if (s.q && !matchesQ((a) => valueOf(e[a]), s.q)) return false;
  const loc = e.location;
  if (s.geo && (typeof loc !== 'object' || loc.type !== 'GeoProperty' || !matchesGeo(loc.value, s.geo))) return false;
  return true;
}

/** Only the asked attributes (with id and type). */
export function project(e: Entity, attrs: readonly string[] | undefined): Entity {
  if (!attrs) return e;
  return Object.fromEntries(Object.entries(e).filter(([k]) => k === 'id' || k === 'type' || attrs.includes(k))) as Entity;
}

/** The selected entities: the page asked for, and how many matched in all. */
export async function selectEntities(store: Store, catalogue: AssetCollection, s: Selection): Promise<{ page: Entity[]; total: number }> {
  const all = (await loadEntities(store, catalogue, s.types)).filter((e) => matches(e, s));
  return { page: all.slice(s.offset, s.offset + s.limit), total: all.length };
}

/** Entities as the selection asks: projected, and normalized or key-values. */
export const render = (page: readonly Entity[], s: Pick<Selection, 'attrs' | 'keyValues'>) =>
  page.map((e) => (s.keyValues ? keyValues(project(e, s.attrs)) : project(e, s.attrs)));
