import { closeSync, fstatSync, openSync, readFileSync, statSync, type Stats } from 'node:fs';
import { DeviceRecord } from '@cityhub/contracts';
import { DeviceError } from '../errors.js';

/** The on-disk format of `<dataDir>/registry/devices.json`. */
export const REGISTRY_FILE_VERSION = 1;

/** What identifies one version of the file: every write renames a new file in, so the inode changes too. */
export function stampOf(st: Stats | undefined): string {
  return st ? `${st.ino}:${st.size}:${st.mtimeMs}` : 'absent';
}

/** The current stamp of `path` without reading it (one stat call). */
export function statStamp(path: string): string {
  return stampOf(statSync(path, { throwIfNoEntry: false }));
}

/** Parses the registry file's text; a file that is not a registry is REGISTRY_CORRUPT, never rewritten. */
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

/**
 * Reads the file and its stamp from one open file descriptor, so the stamp belongs to the content read
 * even if the file is replaced meanwhile. A missing file is an empty registry.
 */
export function readRegistrySync(path: string): { records: DeviceRecord[]; stamp: string } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], stamp: 'absent' };
    throw e;
  }
  try {
    const stamp = stampOf(fstatSync(fd));
    return { records: parseRegistry(readFileSync(fd, 'utf8'), path), stamp };
  } finally {
    closeSync(fd);
  }
}
