import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireRole } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { registerRateLimit } from '../protection.js';
import { baseUrl, contextDocument, sendLd } from './contexts.js';
import { loadEntities } from './entities.js';
import { ATTRIBUTES, parseEntityId, TYPE_NAMES } from './models.js';
import { installProblemHandler, NgsiProblem } from './problem.js';
import { parseSelection, PAGE, render, selectEntities, typeIri } from './select.js';
import { temporalRoutes } from './temporal.js';
import { Entities, EntityBody, Problem, SelectQuery, ldJson, problems } from './schemas.js';
import { ANONYMOUS } from '../responses.js';

const EntityQuery = z.strictObject({
  attrs: SelectQuery.shape.attrs, options: SelectQuery.shape.options, format: SelectQuery.shape.format,
});
const TypesQuery = z.strictObject({ details: z.enum(['true', 'false']).optional().describe('`true`: each type with its attribute names.') });

/**
 * The NGSI-LD API (ETSI GS CIM 009), read only, under `/ngsi-ld/v1`: the catalogue and latest readings as
 * Smart Data Models entities, their history (`/temporal`), and the `@context` documents. Errors are problem
 * details. Public like `/api/v1` reads: closed with the rest when the city turns public reading off.
 */
export const ngsiLdRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  installProblemHandler(app);
  app.addHook('onRequest', async (req) => {
    if (deps.publicRead === false) requireRole(deps, req, 'viewer');
  });
  await registerRateLimit(app, deps);
  const tags = ['NGSI-LD'];
  app.get('/entities', {
    schema: {
      operationId: 'ngsiQueryEntities', summary: 'Query entities (NGSI-LD)', tags, security: ANONYMOUS, querystring: SelectQuery,
      description: `Entities by \`type\`, \`id\`, \`idPattern\`, \`q\` (\`;\` and, \`|\` or; ==, !=, <, <=, >, >=, ~=, ranges a..b and lists a,b) ` +
        `and geo-query (\`georel=near;maxDistance==m\` with a Point, \`within\` with a Polygon), at least one of them; \`attrs\` projects; ` +
        `\`limit\` (default ${PAGE.default}, at most ${PAGE.max}) and \`offset\` page, \`count=true\` adds \`NGSILD-Results-Count\`.`,
      response: { 200: ldJson('The matching entities, normalized or key-values', Entities), ...problems(400, 403, 406, 422) },
    },
  }, async (req, reply) => {
    const s = parseSelection(req.query, { requireFilter: true });
    const { page, total } = await selectEntities(deps.store, deps.catalogue, s);
    if (s.count) reply.header('ngsild-results-count', String(total));
    return sendLd(req, reply, render(page, s));
  });
  app.get('/entities/:entityId', {
    schema: {
      operationId: 'ngsiGetEntity', summary: 'One entity (NGSI-LD)', tags, security: ANONYMOUS, querystring: EntityQuery,
      params: z.object({ entityId: z.string().describe('The entity id, e.g. urn:ngsi-ld:TrafficFlowObserved:thessaloniki:link-12') }),
      response: { 200: ldJson('The entity', EntityBody), ...problems(400, 404, 406) },
    },
  }, async (req, reply) => {
    const id = req.params.entityId;
    const s = parseSelection({ ...req.query, id }, { requireFilter: false });
    const parsed = parseEntityId(id);
    const { page } = parsed ? await selectEntities(deps.store, deps.catalogue, { ...s, types: [parsed.type], attrs: undefined }) : { page: [] };
    if (!page[0]) throw new NgsiProblem('ResourceNotFound', `no entity ${id}`);
    return sendLd(req, reply, render(page, s)[0]!);
  });
  app.get('/types', {
    schema: {
      operationId: 'ngsiListTypes', summary: 'The entity types served (NGSI-LD)', tags, security: ANONYMOUS, querystring: TypesQuery,
      response: { 200: ldJson('An EntityTypeList, or with details a list of EntityType', z.union([EntityBody, Entities])), ...problems(400, 406) },
    },
  }, async (req, reply) => {
    const present = new Set((await loadEntities(deps.store, deps.catalogue, TYPE_NAMES)).map((e) => e.type));
    const types = TYPE_NAMES.filter((t) => present.has(t));
    if (req.query.details === 'true') {
      return sendLd(req, reply, types.map((t) => ({ id: typeIri(t), type: 'EntityType', typeName: t, attributeNames: [...ATTRIBUTES[t]] })));
    }
    return sendLd(req, reply, { id: `urn:ngsi-ld:EntityTypeList:${req.id}`, type: 'EntityTypeList', typeList: types });
  });
  app.get('/jsonldContexts/:name', {
    schema: {
      operationId: 'ngsiGetContext', summary: 'The @context documents the entities use, served by the hub (NGSI-LD)', tags, security: ANONYMOUS,
      params: z.object({ name: z.string().describe('`cityhub.jsonld` (the hub\'s context) or `Transportation.jsonld`, `WifiNetwork.jsonld`, `Energy.jsonld`') }),
      response: { 200: ldJson('A JSON-LD context document', EntityBody), 404: { description: 'No such context', content: { 'application/json': { schema: Problem } } } },
    },
  }, async (req, reply) => {
    const doc = contextDocument(req.params.name, baseUrl(req));
    if (!doc) throw new NgsiProblem('ResourceNotFound', `no context ${req.params.name}`);
    reply.header('cache-control', 'public, max-age=3600');
    return reply.type('application/ld+json').send(doc as Record<string, unknown>);
  });
  // Same scope (not a child plugin): its routes share the prefix, the problem handler and the access rules.
  await temporalRoutes(app, deps);
};
