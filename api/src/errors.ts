import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { StoreError } from '@cityhub/store';
import type { z } from 'zod';

/** Coded API errors: clients match on `error.code`, people read `error.message`. */
export const ERRORS = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  NOT_ACCEPTABLE: 406,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UPGRADE_REQUIRED: 426,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const;
export type ApiErrorCode = keyof typeof ERRORS;

export class ApiError extends Error {
  constructor(readonly code: ApiErrorCode, message: string) {
    super(message);
  }
  get status(): number {
    return ERRORS[this.code];
  }
}

/** Parses a query or body with a zod schema; every problem is named in one 400. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  throw new ApiError('BAD_REQUEST', r.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '));
}

/**
 * The message of a failed route schema: every problem, each named by its field (`from: …; step: …`), or by
 * the part of the request (`querystring: Unrecognized key: "x"`) when it concerns the whole of it.
 */
function validationMessage(err: FastifyError & { validation: Array<{ instancePath: string; message?: string }> }): string {
  const where = (err as { validationContext?: string }).validationContext ?? 'request';
  return err.validation.map((v) => `${v.instancePath.slice(1).replaceAll('/', '.') || where}: ${v.message ?? 'invalid'}`).join('; ');
}

const BY_STATUS = new Map<number, ApiErrorCode>(Object.entries(ERRORS).map(([code, status]) => [status, code as ApiErrorCode]));
/** The code of a client error status: its own when the hub names it, else BAD_REQUEST. */
const codeOf = (status: number): ApiErrorCode => BY_STATUS.get(status) ?? 'BAD_REQUEST';

/**
 * Errors fastify raises before any route runs (a URL it cannot decode, a path parameter too long), for its
 * `frameworkErrors` option: in the hub's error shape too.
 */
export function frameworkError(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
  void reply.status(status).send({ error: { code: codeOf(status), message: err.message } });
}

/** Every error leaves as `{ "error": { "code", "message" } }` with its status. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | ApiError | StoreError | Error, req, reply) => {
    if (err instanceof ApiError) return reply.status(err.status).send({ error: { code: err.code, message: err.message } });
    if (err instanceof StoreError) {
      if (err.code === 'STORE_BAD_INPUT') return reply.status(400).send({ error: { code: 'BAD_REQUEST', message: err.message } });
      req.log.error({ err }, 'store error');
      return reply.status(503).send({ error: { code: 'UNAVAILABLE', message: `the store is unavailable: ${err.message}` } });
    }
    if (hasZodFastifySchemaValidationErrors(err)) return reply.status(400).send({ error: { code: 'BAD_REQUEST', message: validationMessage(err) } });
    const fe = err as FastifyError;
    if (fe.validation || fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return reply.status(400).send({ error: { code: 'BAD_REQUEST', message: err.message } });
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
      return reply.status(fe.statusCode).send({ error: { code: codeOf(fe.statusCode), message: err.message } });
    }
    req.log.error({ err }, 'unhandled error');
    return reply.status(500).send({ error: { code: 'INTERNAL', message: `internal error; the hub log has it under request id ${req.id}` } });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
  });
}
