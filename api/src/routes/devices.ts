import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DeviceKind, DeviceList, DeviceView, Kind, NewDevice, type DeviceRecord } from '@cityhub/contracts';
import { needs } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { BEARER, errors, json } from '../responses.js';

const NewDeviceBody = z.strictObject({
  kind: Kind,
  asset: z.string().min(1).max(200).describe('The asset the device is installed on; of the same kind.'),
  id: z.string().min(3).max(64).optional().describe('Lower-case letters, digits and dashes; generated when absent.'),
});
const PatchBody = z.strictObject({ enabled: z.boolean().describe('A disabled device can no longer connect.') });
const Params = z.strictObject({ id: z.string().min(1).max(64) });
const ListQuery = z.strictObject({ kind: DeviceKind.optional(), status: z.enum(['online', 'offline', 'unknown']).optional() });

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
export const devicesRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const registry = () => {
    if (!deps.registry) throw new ApiError('UNAVAILABLE', 'this API node has no device registry');
    return deps.registry;
  };
  const view = (d: DeviceRecord): DeviceView => {
    const s = deps.deviceStats?.(d.id);
    const iso = (t: number | null | undefined) => (t ? new Date(t).toISOString() : null);
    return {
      id: d.id, kind: d.kind, asset: d.asset, ...(d.gateway && { gateway: d.gateway }), enabled: d.enabled, created_at: d.created_at, simulated: d.simulated ?? false,
      status: s?.status ?? 'unknown', last_seen: iso(s?.lastSeen), last_reading_ts: iso(s?.lastTs),
      readings: s?.readings ?? 0, gaps: s?.gaps ?? 0, repeats: s?.repeats ?? 0, rejected: s?.rejected ?? {},
    };
  };

  app.get('/devices', {
    onRequest: needs(deps, 'operator'),
    schema: {
      operationId: 'listDevices', summary: 'Devices with their status, last seen, readings and gaps (operator)',
      description: 'Never shows a secret. `gaps` counts skipped sequence numbers (readings lost before the hub).',
      tags: ['devices'], security: BEARER, querystring: ListQuery,
      response: { 200: json('Every device that matches', DeviceList), ...errors(400, 401, 403, 503) },
    },
  }, async (req) => {
    const q = req.query;
    const items = registry().list().filter((d) => !q.kind || d.kind === q.kind).map(view).filter((d) => !q.status || d.status === q.status);
    return { items };
  });

  app.get('/devices/:id', {
    onRequest: needs(deps, 'operator'),
    schema: {
      operationId: 'getDevice', summary: 'One device (operator)', tags: ['devices'], security: BEARER, params: Params,
      response: { 200: json('The device, without its secret', DeviceView), ...errors(400, 401, 403, 404, 503) },
    },
  }, async (req) => {
    const { id } = req.params;
    const d = registry().get(id);
    if (!d) throw new ApiError('NOT_FOUND', `no device ${id}`);
    return view(d);
  });

  app.post('/devices', {
    onRequest: needs(deps, 'admin'),
    schema: {
      operationId: 'createDevice', summary: 'Creates a device on an asset (admin); its secret is shown in this answer only',
      description: 'The device connects over MQTT with its id as user name and the secret as password. Only a scrypt hash of ' +
        'the secret is kept: it cannot be shown again.',
      tags: ['devices'], security: BEARER, body: NewDeviceBody,
      response: { 201: json('The new device with its secret', NewDevice), ...errors(400, 401, 403, 409, 413, 415, 503) },
    },
  }, async (req, reply) => {
    const created = await registry().add(req.body).catch(registryError);
    return reply.status(201).header('cache-control', 'no-store').send(created);
  });

  app.patch('/devices/:id', {
    onRequest: needs(deps, 'admin'),
    schema: {
      operationId: 'setDeviceEnabled', summary: 'Enables or disables a device (admin)', tags: ['devices'], security: BEARER, params: Params, body: PatchBody,
      response: { 200: json('The device as it is now', DeviceView), ...errors(400, 401, 403, 404, 413, 415, 503) },
    },
  }, async (req) => {
    return view(await registry().setEnabled(req.params.id, req.body.enabled).catch(registryError));
  });
};
