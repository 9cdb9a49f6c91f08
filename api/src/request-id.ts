import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** A request id a client or proxy may give: short and plain, so that it is safe in logs and headers. */
const GIVEN = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The id of a request: the caller's `x-request-id` when it is plain, else a new UUID (unique across API
 * nodes behind one load balancer, unlike a counter). Every log line of the request carries it as `reqId`.
 */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && GIVEN.test(given) ? given : randomUUID();
}
