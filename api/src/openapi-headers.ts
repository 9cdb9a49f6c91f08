/**
 * The response headers of the OpenAPI document: the ones every answer carries (request id; the rate limit's
 * on the rate-limited routes; the challenge on a 401) and the ones of particular operations, by operationId.
 */

interface Header { description: string; schema: Record<string, unknown> }
interface Response { headers?: Record<string, unknown> }
interface Operation { operationId?: string; responses?: Record<string, Response> }
type Doc = { paths?: Record<string, Record<string, Operation>>; components?: Record<string, unknown> };

const str = { type: 'string' };
const int = { type: 'integer', minimum: 0 };

/** Every header the document names, as `components.headers`. */
const HEADERS: Record<string, Header> = {
  'X-Request-Id': { description: 'The id of the request in the hub\'s log: the caller\'s own `x-request-id` when it is plain, else a new UUID.', schema: str },
  'Retry-After': { description: 'Seconds to wait before trying again.', schema: int },
  'X-RateLimit-Limit': { description: 'Requests a minute an anonymous caller may make from its address.', schema: int },
  'X-RateLimit-Remaining': { description: 'Requests left in the current minute for this address (anonymous callers).', schema: int },
  'X-RateLimit-Reset': { description: 'Seconds until the current minute of the rate limit ends.', schema: int },
  'WWW-Authenticate': { description: 'The challenge of RFC 6750: `Bearer realm="City Hub"`, with `error="invalid_token"` when a token was sent.', schema: str },
  'Cache-Control': { description: 'How long a cache may keep the answer.', schema: str },
  Vary: { description: 'The request headers the answer depends on.', schema: str },
  'Content-Disposition': { description: '`attachment` with the file name of the export.', schema: str },
  Link: { description: 'The licence of the data: `<url>; rel="license"`.', schema: str },
  'X-Licence': { description: 'The name of the licence of the data (percent-encoded outside printable ASCII).', schema: str },
  'X-Attribution': { description: 'The attribution the licence asks for (percent-encoded outside printable ASCII).', schema: str },
  'NGSILD-Results-Count': { description: 'The number of matching entities, with `count=true`.', schema: int },
  'Set-Cookie': {
    description: 'The session cookie `cityhub_session` (HttpOnly, SameSite=Strict, Path=/, Secure over HTTPS); cleared on sign-out. ' +
      'OpenID Connect sign-in also sets, then clears, `cityhub_oidc` (HttpOnly, SameSite=Lax, Path=/api/v1/session/oidc, 10 minutes).',
    schema: str,
  },
  Location: { description: 'Where the browser goes next.', schema: str },
  Upgrade: { description: '`websocket`: the route is a WebSocket.', schema: str },
};

/** Headers of particular operations and statuses. */
const BY_OPERATION: Record<string, Record<string, string[]>> = {
  listAssets: { 200: ['Cache-Control'] },
  getBoundary: { 200: ['Cache-Control'] },
  getOpenApi: { 200: ['Cache-Control'] },
  getAsyncApi: { 200: ['Cache-Control'] },
  getCatalog: { 200: ['Cache-Control', 'Vary'] },
  ngsiGetContext: { 200: ['Cache-Control'] },
  ngsiQueryEntities: { 200: ['NGSILD-Results-Count'] },
  exportReadings: { 200: ['Content-Disposition', 'Link', 'X-Licence', 'X-Attribution'], 503: ['Retry-After'] },
  streamLive: { 426: ['Upgrade'] },
  signIn: { 200: ['Set-Cookie'] },
  signOut: { 204: ['Set-Cookie'] },
  oidcLogin: { 303: ['Location', 'Set-Cookie'] },
  oidcLogout: { 303: ['Location'] },
  oidcCallback: { 303: ['Location', 'Set-Cookie'], 400: ['Set-Cookie'], 401: ['Set-Cookie'], 403: ['Set-Cookie'] },
};

const RATE_LIMIT = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'];
const ref = (name: string) => ({ $ref: `#/components/headers/${name}` });

/** The headers of one response of `op` at `path`. */
function headersOf(path: string, op: Operation, status: string): string[] {
  const limited = path.startsWith('/api/v1/') || path.startsWith('/ngsi-ld/v1/');
  return [
    'X-Request-Id',
    ...(status === '401' ? ['WWW-Authenticate'] : []),
    ...(status === '429' ? ['Retry-After', ...RATE_LIMIT] : limited && /^[23]/.test(status) ? RATE_LIMIT : []),
    ...(BY_OPERATION[op.operationId ?? '']?.[status] ?? []),
  ];
}

/** Adds the response headers to a generated document (the `transformObject` of @fastify/swagger). */
export function documentHeaders<D>(doc: D): D {
  const d = doc as Doc;
  d.components = { ...d.components, headers: { ...HEADERS } };
  for (const [path, ops] of Object.entries(d.paths ?? {})) {
    for (const op of Object.values(ops)) {
      for (const [status, res] of Object.entries(op.responses ?? {})) {
        const names = headersOf(path, op, status);
        res.headers = { ...res.headers, ...Object.fromEntries(names.map((n) => [n, ref(n)])) };
      }
    }
  }
  return doc;
}
