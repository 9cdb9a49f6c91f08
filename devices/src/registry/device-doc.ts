import type { SharedDocument } from '@cityhub/contracts';
import { isStateError, openSharedDocument, type SharedDocOptions, type StateErrorCode } from '@cityhub/state';
import { DeviceError, type DeviceErrorCode } from '../errors.js';

/** The registry's code for each shared-state error: what the registry's callers have always matched on. */
const AS_DEVICE_ERROR: Record<StateErrorCode, DeviceErrorCode> = {
  STATE_CONTENDED: 'REGISTRY_LOCKED',
  STATE_CLOSED: 'REGISTRY_CLOSED',
  STATE_UNAVAILABLE: 'REDIS_UNAVAILABLE',
};

/** A shared-state error as the registry reports it (same message and cause); any other error as it is. */
export function asDeviceError(e: unknown): unknown {
  return isStateError(e) ? new DeviceError(AS_DEVICE_ERROR[e.code], e.message, { cause: e }) : e;
}

const rethrow = (e: unknown): never => {
  throw asDeviceError(e);
};

/**
 * Opens a shared document of the devices workspace (the registry or the tokens) whose errors carry the
 * registry's codes: REGISTRY_LOCKED, REGISTRY_CLOSED, REDIS_UNAVAILABLE.
 */
export async function openDeviceDocument(name: 'devices' | 'tokens' | 'users' | 'sessions' | 'audit', opts: SharedDocOptions): Promise<SharedDocument> {
  const doc = await openSharedDocument(name, opts).catch(rethrow);
  return {
    get location() { return doc.location; },
    read: () => doc.read(),
    sync: () => doc.sync().catch(rethrow),
    update: (fn) => doc.update(fn).catch(rethrow),
    close: () => doc.close(),
  };
}
