import { ApiError as ApiErrorBody } from '@cityhub/contracts';
import { z } from 'zod';

/** A JSON response of a route for the OpenAPI document and the serializer: what it means and its schema. */
export function json<S extends z.ZodType>(description: string, schema: S) {
  return { description, content: { 'application/json': { schema } } };
}

/** A response without a body (204): `type: null`, which the OpenAPI document writes without content. */
export const noContent = (description: string) => z.null().describe(description);

/** A GeoJSON response (RFC 7946 §12: `application/geo+json`); the handler sets the type with `reply.type(GEOJSON)`. */
export const GEOJSON = 'application/geo+json';
export function geojson<S extends z.ZodType>(description: string, schema: S) {
  return { description, content: { [GEOJSON]: { schema } } };
}

const WHY = {
  400: 'Bad input: the message names every problem',
  401: 'No API token or session, or one that is not valid (a session that has ended)',
  403: "The token's or user's role is below the one this route needs, or a session's request lacks its CSRF token",
  404: 'No such thing',
  409: 'It exists already',
  413: 'The body is larger than 1 MiB',
  415: 'The body is not `application/json`',
  426: 'A WebSocket route called without `Upgrade: websocket`',
  429: 'Too many requests from this address: wait for `retry-after` seconds',
  503: 'A part this route needs is unavailable or busy (store, registry, export capacity)',
} as const;
export type ErrorStatus = keyof typeof WHY;

/** The error responses a route can give, all `{ "error": { "code", "message" } }`. */
export function errors<C extends ErrorStatus>(...codes: C[]): Record<C, ReturnType<typeof json<typeof ApiErrorBody>>> {
  return Object.fromEntries(codes.map((c) => [c, json(WHY[c], ApiErrorBody)])) as Record<C, ReturnType<typeof json<typeof ApiErrorBody>>>;
}

/**
 * OpenAPI security of a route. The document requires `bearer` or `session` unless a route says otherwise:
 * protected routes name them, public ones (reads, health, documents) have none (`[]`). With public reading
 * off, the public reads take a token or session too (their descriptions and `401` say so). A session's
 * state-changing requests also carry its CSRF token in `x-csrf-token`.
 */
export const BEARER: ReadonlyArray<Record<string, readonly string[]>> = [{ bearer: [] }, { session: [] }];
export const ANONYMOUS: ReadonlyArray<Record<string, readonly string[]>> = [];
