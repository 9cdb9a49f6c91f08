import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { Kind, type DeviceRecord, type DeviceView, type NewDevice } from '@cityhub/contracts';
import { needs } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { ApiError, parseInput } from '../errors.js';

const NewDeviceBody = z.strictObject({ kind: Kind, asset: z.string().min(1).max(200), id: z.string().min(3).max(64).optional() });
const PatchBody = z.strictObject({ enabled: z.boolean() });
const Params = z.strictObject({ id: z.string().min(1).max(64) });
const ListQuery = z.strictObject({ kind: Kind.optional(), status: z.enum(['online', 'offline', 'unknown']).optional() });

/** Registry errors carry a code; these are the caller's, with their HTTP status. */
const USAGE: Record<string, [400 | 404 | 409, 'BAD_REQUEST' | 'NOT_FOUND' | 'CONFLICT']> = {
  UNKNOWN_ASSET: [400, 'BAD_REQUEST'], WRONG_KIND: [400, 'BAD_REQUEST'], BAD_ID: [400, 'BAD_REQUEST'],
  BAD_KIND: [400, 'BAD_REQUEST'], DUPLICATE_ID: [409, 'CONFLICT'], UNKNOWN_DEVICE: [404, 'NOT_FOUND'],
};
function registryError(err: unknown): never {
  const code = (err as { code?: unknown }).code;
  const hit = typeof code === 'string' ? USAGE[code] : undefined;
  if (hit) throw new ApiError(hit[1], (err as Error).message);
  throw err;
}

/** `/devices`: the registry with each device's status, last seen, readings and gaps (operator); changes (admin). */
export const devicesRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  const registry = () => {
    if (!deps.registry) throw new ApiError('UNAVAILABLE', 'this API node has no device registry');
    return deps.registry;
  };
  const view = (d: DeviceRecord): DeviceView => {
    const s = deps.deviceStats?.(d.id);
    const iso = (t: number | null | undefined) => (t ? new Date(t).toISOString() : null);
    return {
      id: d.id, kind: d.kind, asset: d.asset, enabled: d.enabled, created_at: d.created_at, simulated: d.simulated ?? false,
      status: s?.status ?? 'unknown', last_seen: iso(s?.lastSeen), last_reading_ts: iso(s?.lastTs),
      readings: s?.readings ?? 0, gaps: s?.gaps ?? 0, repeats: s?.repeats ?? 0, rejected: s?.rejected ?? {},
    };
  };

  app.get('/devices', { preHandler: needs(deps, 'operator') }, async (req) => {
    const q = parseInput(ListQuery, req.query);
    const items = registry().list().filter((d) => !q.kind || d.kind === q.kind).map(view).filter((d) => !q.status || d.status === q.status);
    return { items };
  });

  app.get('/devices/:id', { preHandler: needs(deps, 'operator') }, async (req) => {
    const { id } = parseInput(Params, req.params);
    const d = registry().get(id);
    if (!d) throw new ApiError('NOT_FOUND', `no device ${id}`);
    return view(d);
  });

  app.post('/devices', { preHandler: needs(deps, 'admin') }, async (req, reply): Promise<NewDevice> => {
    const body = parseInput(NewDeviceBody, req.body);
    const created = await registry().add(body).catch(registryError);
    reply.status(201).header('cache-control', 'no-store');
    return created;
  });

  app.patch('/devices/:id', { preHandler: needs(deps, 'admin') }, async (req) => {
    const { id } = parseInput(Params, req.params);
    const { enabled } = parseInput(PatchBody, req.body);
    return view(await registry().setEnabled(id, enabled).catch(registryError));
  });
};
