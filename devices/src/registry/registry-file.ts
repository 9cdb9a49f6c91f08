import { DeviceRecord } from '@cityhub/contracts';
import { DeviceError } from '../errors.js';

/** The format of the registry document (`<dataDir>/registry/devices.json`, or its Redis key). */
export const REGISTRY_FILE_VERSION = 1;

/** Parses the registry's text; a document that is not a registry is REGISTRY_CORRUPT, never rewritten. */
export function parseRegistry(text: string, path: string): DeviceRecord[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new DeviceError('REGISTRY_CORRUPT', `${path} is not JSON: ${(e as Error).message}`);
  }
  const obj = data as { version?: unknown; devices?: unknown };
  if (typeof data !== 'object' || data === null || obj.version !== REGISTRY_FILE_VERSION || !Array.isArray(obj.devices)) {
    throw new DeviceError('REGISTRY_CORRUPT', `${path} is not a version ${REGISTRY_FILE_VERSION} device registry`);
  }
  const parsed = DeviceRecord.array().safeParse(obj.devices);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DeviceError('REGISTRY_CORRUPT', `${path}: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid device record'}`);
  }
  return parsed.data;
}

/** Serialises the records (indented: operators read this file). */
export function serializeRegistry(records: Iterable<DeviceRecord>): string {
  return JSON.stringify({ version: REGISTRY_FILE_VERSION, devices: [...records] }, null, 2) + '\n';
}
