import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HUB_TERMS } from './models.js';
import { NgsiProblem } from './problem.js';

/** The Smart Data Models contexts the hub serves, copied unchanged (api/standards/smart-data-models/SOURCES.md). */
const SDM_DIR = fileURLToPath(new URL('../../standards/smart-data-models/', import.meta.url));
export const SDM_CONTEXTS = ['Transportation', 'WifiNetwork', 'Energy'] as const;
const documents = new Map<string, unknown>(SDM_CONTEXTS.map((c) => [`${c}.jsonld`, JSON.parse(readFileSync(`${SDM_DIR}context-${c}.jsonld`, 'utf8'))]));

/** The NGSI-LD core context: every NGSI-LD broker and client holds it; it comes last so that no term overrides it. */
export const CORE_CONTEXT = 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld';
/** Where the hub's own terms expand to. */
export const HUB_VOCAB = 'urn:cityhub:terms:';
export const CONTEXTS_PATH = '/ngsi-ld/v1/jsonldContexts';

/** The hub's address as the client called it (`trustProxy` decides whether forwarded headers count). */
export const baseUrl = (req: FastifyRequest) => `${req.protocol}://${req.host}`;
/** The URL of the hub's `@context`, served by the hub itself. */
export const contextUrl = (req: FastifyRequest) => `${baseUrl(req)}${CONTEXTS_PATH}/cityhub.jsonld`;

/** The hub's `@context`: the three Smart Data Models contexts as the hub serves them, its own terms, then the core. */
export function hubContext(base: string): { '@context': unknown[] } {
  return {
    '@context': [
      ...SDM_CONTEXTS.map((c) => `${base}${CONTEXTS_PATH}/${c}.jsonld`),
      Object.fromEntries(HUB_TERMS.map((t) => [t, `${HUB_VOCAB}${t}`])),
      CORE_CONTEXT,
    ],
  };
}

/** A context document by its file name, or null. */
export function contextDocument(name: string, base: string): unknown {
  if (name === 'cityhub.jsonld') return hubContext(base);
  return documents.get(name) ?? null;
}

/** The media type an NGSI-LD answer goes out as, from `Accept` (clause 6.3.4): JSON-LD, JSON, or 406. */
export function negotiate(accept: string | undefined): 'application/ld+json' | 'application/json' {
  if (!accept) return 'application/json';
  const ranges = accept.split(',').map((r, i) => {
    const [type, ...params] = r.trim().toLowerCase().split(';').map((s) => s.trim());
    const q = params.find((p) => p.startsWith('q='));
    return { type: type!, q: q ? Number(q.slice(2)) : 1, i };
  }).filter((r) => r.q > 0).sort((a, b) => b.q - a.q || a.i - b.i);
  for (const r of ranges) {
    if (r.type === 'application/ld+json') return r.type;
    if (r.type === 'application/json' || r.type === 'application/*' || r.type === '*/*') return 'application/json';
  }
  throw new NgsiProblem('NotAcceptable', `the hub answers application/json or application/ld+json, not ${accept}`);
}

/**
 * Sends entities (one or a list) as the client asked: JSON-LD with `@context` in each entity, or JSON with
 * the context in a `Link` header (clause 6.3.5). The body is serialized here, as it is.
 */
export function sendLd(req: FastifyRequest, reply: FastifyReply, body: Record<string, unknown> | Array<Record<string, unknown>>): FastifyReply {
  const type = negotiate(req.headers.accept);
  const ctx = contextUrl(req);
  if (type === 'application/ld+json') {
    const withCtx = (e: Record<string, unknown>) => ({ ...e, '@context': ctx });
    return reply.type(type).send(JSON.stringify(Array.isArray(body) ? body.map(withCtx) : withCtx(body)));
  }
  reply.header('link', `<${ctx}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`);
  return reply.type('application/json').send(JSON.stringify(body));
}
