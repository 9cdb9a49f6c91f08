import type { FastifyRequest } from 'fastify';
import type { Role } from '@cityhub/contracts';
import type { ApiDeps } from './deps.js';
import { ApiError } from './errors.js';

const RANK: Record<Role, number> = { operator: 1, admin: 2 };

/** The token of a request: `Authorization: Bearer <token>`, or `?token=` where a header cannot be set (WebSocket in a browser). */
export function tokenOf(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (h) {
    const m = /^Bearer\s+(\S+)$/i.exec(h);
    return m?.[1] ?? '';
  }
  const q = (req.query as Record<string, unknown> | undefined)?.token;
  return typeof q === 'string' ? q : null;
}

/** Throws 401 without a valid token and 403 when its role is below `role`. */
export function requireRole(deps: ApiDeps, req: FastifyRequest, role: Role): { id: string; role: Role } {
  const token = tokenOf(req);
  if (token === null) throw new ApiError('UNAUTHORIZED', `this route needs an API token with the ${role} role: send "Authorization: Bearer <token>" (cityhub tokens add --role ${role})`);
  const who = deps.auth?.verify(token) ?? null;
  if (!who) throw new ApiError('UNAUTHORIZED', 'the API token is not valid');
  if (RANK[who.role] < RANK[role]) throw new ApiError('FORBIDDEN', `this route needs the ${role} role; the token has ${who.role}`);
  return who;
}

/** A preHandler for a route that needs `role`. */
export const needs = (deps: ApiDeps, role: Role) => async (req: FastifyRequest) => {
  requireRole(deps, req, role);
};
