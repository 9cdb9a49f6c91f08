import { Parser } from '@asyncapi/parser';
import { validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KINDS, MAX_EPOCH_MS, MIN_EPOCH_MS, telemetrySchema } from '@cityhub/contracts';
import { openHarness, type Harness } from '../testing/harness.js';

interface Operation {
  security?: Array<Record<string, string[]>>;
  description?: string;
  parameters?: Array<{ name: string; in: string; required?: boolean; schema: unknown }>;
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: Record<string, unknown> }> }>;
}
type OpenApi = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, unknown> } };

/** Every route this workspace documents: method, path, its parameters, and whether it needs a token. */
const ROUTES: Array<[method: string, path: string, params: string[], auth: 'public' | 'bearer' | 'none']> = [
  ['get', '/api/v1/assets', ['kind'], 'public'],
  ['get', '/api/v1/boundary', [], 'public'],
  ['get', '/api/v1/latest', ['kind'], 'public'],
  ['get', '/api/v1/series', ['asset', 'kind', 'metric', 'from', 'to', 'step', 'agg', 'tz', 'format'], 'public'],
  ['get', '/api/v1/live', ['kind', 'asset', 'token'], 'public'],
  ['get', '/api/v1/export', ['kind', 'from', 'to', 'step', 'agg', 'format', 'tz', 'licence_columns'], 'public'],
  ['get', '/api/v1/devices', ['kind', 'status'], 'bearer'],
  ['post', '/api/v1/devices', [], 'bearer'],
  ['get', '/api/v1/devices/{id}', ['id'], 'bearer'],
  ['patch', '/api/v1/devices/{id}', ['id'], 'bearer'],
  ['get', '/api/v1/deadletters', ['device', 'reason', 'from', 'to', 'limit'], 'bearer'],
  ['post', '/api/v1/deadletters/replay', [], 'bearer'],
  ['post', '/api/v1/alerts/{id}/ack', ['id'], 'bearer'],
  ['get', '/api/v1/audit', ['limit', 'action', 'who'], 'bearer'],
  ['post', '/api/v1/session', [], 'none'],
  ['get', '/healthz', [], 'none'],
  ['get', '/readyz', [], 'none'],
  ['get', '/metrics', [], 'none'],
  ['get', '/openapi.json', [], 'none'],
  ['get', '/asyncapi.json', [], 'none'],
];

/** The routes in fastify's `printRoutes({ commonPrefix: false })` tree, as [method, path]. */
function servedRoutes(tree: string): Array<[string, string]> {
  const stack: string[] = [];
  const out: Array<[string, string]> = [];
  for (const line of tree.split('\n')) {
    const m = /^(.*?)(?:└── |├── )(.+) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const path = (depth ? stack[depth - 1]! : '') + m[2]!;
    stack[depth] = path;
    for (const method of m[3]!.split(', ')) out.push([method, path]);
  }
  return out;
}

describe('the generated API documents', () => {
  let h: Harness;
  let openapi: OpenApi;
  beforeAll(async () => {
    h = await openHarness({ mqttUrl: 'mqtt://hub.example.org:1883' });
    openapi = (await h.app.inject({ url: '/openapi.json' })).json<OpenApi>();
  });
  afterAll(async () => h.close());

  it('/openapi.json is a valid OpenAPI 3.1 document', async () => {
    expect(openapi.openapi).toBe('3.1.0');
    // The validator dereferences in place: give it a copy.
    const result = await validate(structuredClone(openapi) as unknown as Parameters<typeof validate>[0]);
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(result.valid).toBe(true);
    expect(openapi.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(openapi.components.securitySchemes.session).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'cityhub_session' });
  });

  it.each(ROUTES)('documents %s %s with its parameters, responses and security', (method, path, params, auth) => {
    const op = openapi.paths[path]?.[method];
    expect(op, `${method} ${path}`).toBeDefined();
    expect((op!.parameters ?? []).map((p) => p.name).sort()).toEqual([...params].sort());
    const ok = Object.entries(op!.responses).filter(([status]) => status.startsWith('2') || status === '101');
    expect(ok.length).toBeGreaterThan(0);
    for (const [, r] of ok) expect(Object.values(r.content ?? {}).every((c) => typeof c.schema === 'object')).toBe(true);
    if (auth === 'bearer') {
      expect(op!.security).toEqual([{ bearer: [] }, { session: [] }]);
      expect(Object.keys(op!.responses)).toEqual(expect.arrayContaining(['401', '403']));
    }
    if (auth !== 'bearer') expect(op!.security).toEqual([]);
    for (const [status, r] of Object.entries(op!.responses)) {
      if (/^[45]/.test(status) && status !== '503' || status === '503' && path.startsWith('/api/')) {
        expect(r.content?.['application/json']?.schema, `${status} of ${method} ${path}`).toMatchObject({ properties: { error: { required: ['code', 'message'] } } });
      }
    }
  });

  it('lists every route the app serves, and no route it does not', async () => {
    const documented = new Set(Object.entries(openapi.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)));
    for (const [method, path] of ROUTES) expect(documented).toContain(`${method.toUpperCase()} ${path}`);
    // Every route of the app (but the dashboard and the Swagger UI pages) is in the document.
    const served = servedRoutes(h.app.printRoutes({ commonPrefix: false }))
      .filter(([m, p]) => m !== 'HEAD' && p !== '/' && !p.startsWith('/docs'))
      .map(([m, p]) => `${m} ${p.replace(/:(\w+)/g, '{$1}')}`);
    expect(served.length).toBeGreaterThanOrEqual(ROUTES.length);
    expect(served.filter((r) => !documented.has(r))).toEqual([]);
    // Each documented operation is answered by a route (not by the not-found handler).
    for (const op of documented) {
      const [method, path] = op.split(' ') as [string, string];
      const url = path.replace(/\{[^}]+\}/g, 'x');
      expect(h.app.hasRoute({ method, url: path.replace(/\{([^}]+)\}/g, ':$1') }), op).toBe(true);
      const r = await h.app.inject({ method: method as 'GET', url });
      expect(r.statusCode, op).not.toBe(500);
      // An NGSI-LD 404 is problem details (`detail`), the others `{ error }`.
      if (r.statusCode === 404) expect(r.json<{ error?: { message: string }; detail?: string }>().error?.message ?? r.json<{ detail: string }>().detail, op).not.toMatch(/^no (route|NGSI-LD resource)/);
    }
  });

  it('is ready for generators: operation ids, servers, licence, declared tags, date-times and response headers', () => {
    const doc = openapi as OpenApi & { servers: unknown[]; info: { license: unknown }; tags: Array<{ name: string }>; security: unknown; components: { headers: object } };
    const ops = Object.entries(doc.paths).flatMap(([p, o]) => Object.entries(o).map(([m, op]) => ({ at: `${m} ${p}`, ...(op as Operation & { operationId?: string; tags?: string[] }) })));
    expect(ops.length).toBeGreaterThanOrEqual(30);
    expect(ops.filter((o) => !o.operationId).map((o) => o.at)).toEqual([]);
    expect(new Set(ops.map((o) => o.operationId)).size).toBe(ops.length);
    expect(doc.servers).toEqual([{ url: '/', description: 'This hub' }]);
    expect(doc.info.license).toEqual({ name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' });
    expect(doc.security).toEqual([{ bearer: [] }, { session: [] }]);
    const declared = new Set(doc.tags.map((t) => t.name));
    expect(ops.flatMap((o) => o.tags ?? []).filter((t) => !declared.has(t))).toEqual([]);
    const latest = doc.paths['/api/v1/latest']!.get!.responses['200']!.content!['application/json']!.schema as { properties: { items: { items: { properties: { ts: unknown } } } } };
    expect(latest.properties.items.items.properties.ts).toMatchObject({ type: 'string', format: 'date-time' });
    const exp = doc.paths['/api/v1/export']!.get!.responses as Record<string, { headers?: Record<string, unknown> }>;
    expect(Object.keys(exp['200']!.headers!)).toEqual(expect.arrayContaining(['X-Request-Id', 'X-RateLimit-Limit', 'Content-Disposition', 'Link', 'X-Attribution']));
    expect(Object.keys(exp['429']!.headers!)).toContain('Retry-After');
    const devices = doc.paths['/api/v1/devices']!.get!.responses as Record<string, { headers?: Record<string, unknown> }>;
    expect(devices['401']!.headers!['WWW-Authenticate']).toEqual({ $ref: '#/components/headers/WWW-Authenticate' });
  });

  it('documents limits, request bodies and the content types of exports', () => {
    expect(openapi.paths['/api/v1/series']!.get!.description).toMatch(/at most 50 assets.*7 days.*10000 buckets.*500000 points/);
    const series = openapi.paths['/api/v1/series']!.get!.responses['200']!.content!;
    expect(Object.keys(series).sort()).toEqual(['application/json', 'application/vnd.cityhub.columnar+json']);
    expect(series['application/vnd.cityhub.columnar+json']!.schema.required).toEqual(['metric', 'agg', 'step_s', 'from', 'to', 'tz', 'digits', 'ts_ms', 'series']);
    expect(openapi.paths['/api/v1/live']!.get!.description).toMatch(/1048576 bytes.*4008 after 30 s/);
    const exp = openapi.paths['/api/v1/export']!.get!;
    expect(exp.description).toMatch(/at least 60 s.*366 days.*5000000/);
    expect(Object.keys(exp.responses['200']!.content!).sort()).toEqual(['application/geo+json', 'application/vnd.apache.parquet', 'text/csv']);
    expect(exp.responses['200']!.content!['application/geo+json']!.schema).toMatchObject({ properties: { type: { enum: ['FeatureCollection'] } } });
    const post = openapi.paths['/api/v1/devices']!.post!;
    expect(post.requestBody!.content['application/json']!.schema).toMatchObject({ required: ['kind', 'asset'], additionalProperties: false });
    expect(post.responses['201']!.content!['application/json']!.schema).toMatchObject({ required: ['id', 'secret', 'kind', 'asset'] });
    const device = openapi.paths['/api/v1/devices/{id}']!.get!.responses['200']!.content!['application/json']!.schema;
    expect(Object.keys(device.properties as object)).not.toContain('secret');
    expect(Object.keys(device.properties as object)).not.toContain('secret_hash');
  });

  it('/asyncapi.json is a valid AsyncAPI 3 document with one telemetry message per kind from the reading schemas, and what subscribers receive', async () => {
    const r = await h.app.inject({ url: '/asyncapi.json' });
    expect(r.statusCode).toBe(200);
    const doc = r.json<{
      asyncapi: string;
      servers: { hub: { host: string; protocol: string; bindings: { mqtt: { lastWill: { message: string; retain: boolean } } } } };
      channels: Record<string, { address: string }>;
      components: { messages: Record<string, { payload: { schema: unknown } | { enum: string[] } }>; securitySchemes: { device: { type: string } } };
    }>();
    const { document, diagnostics } = await new Parser().parse(r.body);
    expect(diagnostics.filter((d) => Number(d.severity) === 0).map((d) => `${d.message} at ${d.path.join('.')}`)).toEqual([]);
    expect(document).toBeDefined();
    expect(doc.asyncapi).toMatch(/^3\./);
    expect(doc.servers.hub).toMatchObject({ host: 'hub.example.org:1883', protocol: 'mqtt' });
    expect(doc.servers.hub.bindings.mqtt.lastWill).toMatchObject({ message: 'offline', retain: true });
    expect(doc.components.securitySchemes.device.type).toBe('userPassword');
    for (const kind of KINDS) {
      expect(doc.channels[`${kind}Telemetry`]!.address).toBe(`city/${kind}/{deviceId}/telemetry`);
      const schema = (doc.components.messages[`${kind}Telemetry`]!.payload as { schema: unknown }).schema;
      // The same schema ingest validates with, as JSON Schema: a reading or an array of them.
      const { $schema: _s, ...expected } = (await import('zod')).z.toJSONSchema(telemetrySchema(kind), { target: 'draft-7', io: 'input' });
      expect(schema).toEqual(expected);
      // The bounds of an epoch-ms ts as enforced: seconds (or dates before 2000) are refused.
      expect(JSON.stringify(schema)).toContain(`"minimum":${MIN_EPOCH_MS}`);
      expect(JSON.stringify(schema)).toContain(`"maximum":${MAX_EPOCH_MS}`);
    }
    expect(doc.channels.status!.address).toBe('city/{kind}/{deviceId}/status');
    expect(doc.components.messages.status!.payload).toEqual({ type: 'string', enum: ['online', 'offline'] });
    // The parsed model agrees: the telemetry of a kind refuses a reading of another kind.
    const messages = document!.allMessages().all().map((m) => m.id());
    expect(messages.sort()).toEqual(['alertEvent', 'deviceFeedback', 'energyTelemetry', 'gatewayStatus', 'gatewayTelemetry', 'relayedReadings', 'status', 'trafficTelemetry', 'wifiTelemetry']);
    // What read-only subscribers receive: the relayed readings and alert events, from their zod schemas.
    expect(doc.channels.relayedReadings!.address).toBe('cityhub/live/{kind}');
    expect(doc.channels.alerts!.address).toBe('cityhub/alerts');
    const relayed = (doc.components.messages.relayedReadings!.payload as { schema: { type: string; items: { required: string[] } } }).schema;
    expect(relayed.type).toBe('array');
    expect(relayed.items.required.sort()).toEqual(['asset', 'device', 'kind', 'seq', 'ts', 'values']);
    expect((doc.components.securitySchemes as Record<string, { type: string }>).service!.type).toBe('userPassword');
  });

  it('serves Swagger UI from the npm package, with no script or style from another host', async () => {
    const page = await h.app.inject({ url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    const refs = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(2);
    for (const ref of refs) {
      expect(ref).not.toMatch(/^(https?:)?\/\//);
      const asset = await h.app.inject({ url: new URL(ref, 'http://hub/docs/').pathname });
      expect(asset.statusCode, ref).toBe(200);
    }
    const init = await h.app.inject({ url: '/docs/static/swagger-initializer.js' });
    expect(init.body).toMatch(/resolveUrl\('\.\/json'\)/);
    expect((await h.app.inject({ url: '/docs/json' })).json()).toMatchObject({ openapi: '3.1.0' });
  });
});
