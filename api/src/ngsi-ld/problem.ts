import type { FastifyError, FastifyInstance } from 'fastify';
import { StoreError } from '@cityhub/store';
import { ApiError } from '../errors.js';

/**
 * The error types of ETSI GS CIM 009 (clause 5.5.2) the hub answers with, and their HTTP status. Every
 * error leaves as problem details (RFC 7807): `application/json` with `type`, `title` and `detail`.
 */
export const PROBLEMS = {
  InvalidRequest: 400,
  BadRequestData: 400,
  TooManyResults: 403,
  ResourceNotFound: 404,
  NotAcceptable: 406,
  OperationNotSupported: 422,
  InternalError: 500,
  LdContextNotAvailable: 503,
} as const;
export type ProblemType = keyof typeof PROBLEMS;

const TITLES: Record<ProblemType, string> = {
  InvalidRequest: 'The request is not well formed',
  BadRequestData: 'The request holds input data that is not valid',
  TooManyResults: 'The query asks for more results than the hub answers at once',
  ResourceNotFound: 'The entity or resource does not exist',
  NotAcceptable: 'None of the accepted media types can be served',
  OperationNotSupported: 'The hub does not implement this operation',
  InternalError: 'An internal error occurred',
  LdContextNotAvailable: 'A part this request needs is unavailable',
};

/** A problem of an NGSI-LD request: thrown by the routes, answered by `installProblemHandler`. */
export class NgsiProblem extends Error {
  constructor(readonly kind: ProblemType, readonly detail: string) {
    super(detail);
  }
  get status(): number {
    return PROBLEMS[this.kind];
  }
  body(): { type: string; title: string; status: number; detail: string } {
    return { type: `https://uri.etsi.org/ngsi-ld/errors/${this.kind}`, title: TITLES[this.kind], status: this.status, detail: this.detail };
  }
}

/** Shorthand for the most common problem. */
export const badRequest = (detail: string) => new NgsiProblem('BadRequestData', detail);

/** The problem an error of the NGSI-LD routes stands for: never a 500 for a bad query. */
export function problemOf(err: unknown): NgsiProblem {
  if (err instanceof NgsiProblem) return err;
  if (err instanceof StoreError) {
    return err.code === 'STORE_BAD_INPUT' ? badRequest(err.message) : new NgsiProblem('LdContextNotAvailable', `the store is unavailable: ${err.message}`);
  }
  const fe = err as FastifyError;
  if (fe.statusCode === 406) return new NgsiProblem('NotAcceptable', fe.message);
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) return new NgsiProblem('BadRequestData', fe.message);
  return new NgsiProblem('InternalError', 'internal error');
}

/** A problem body: NGSI-LD's own, or for the hub's access rules (token, rate limit) a plain RFC 7807 one. */
function answerOf(err: unknown, reqId: string): { status: number; body: Record<string, unknown> } {
  if (err instanceof ApiError && (err.status === 401 || err.status === 403 || err.status === 429)) {
    return { status: err.status, body: { type: 'about:blank', title: err.code, status: err.status, detail: err.message } };
  }
  const p = problemOf(err);
  const detail = p.kind === 'InternalError' ? `internal error; the hub log has it under request id ${reqId}` : p.detail;
  return { status: p.status, body: { ...p.body(), detail } };
}

/** Answers every error and unknown route inside the NGSI-LD scope as problem details. */
export function installProblemHandler(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    const { status, body } = answerOf(err, req.id);
    if (status >= 500 && status !== 503) req.log.error({ err }, 'unhandled NGSI-LD error');
    return reply.status(status).type('application/json').send(JSON.stringify(body));
  });
  app.setNotFoundHandler((req, reply) => {
    // The API is read only: creating, changing or subscribing is an operation the hub does not implement.
    const p = req.method === 'GET' || req.method === 'HEAD'
      ? new NgsiProblem('ResourceNotFound', `no NGSI-LD resource ${req.method} ${req.url.split('?')[0]}`)
      : new NgsiProblem('OperationNotSupported', `the hub's NGSI-LD API is read only: ${req.method} ${req.url.split('?')[0]} is not implemented`);
    return reply.status(p.status).type('application/json').send(JSON.stringify(p.body()));
  });
}
