import { randomBytes } from 'node:crypto';
import { DEVICE_ID_PATTERN, type DeviceKind } from '@cityhub/contracts';

/** The prefix of generated device ids, by kind. */
export const KIND_PREFIX = { traffic: 'tr', wifi: 'wf', energy: 'en', gateway: 'gw' } as const satisfies Record<DeviceKind, string>;

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** 8 lower-case base32 characters: 40 random bits, so collisions in a city's fleet are negligible. */
function randomSuffix(): string {
  const bytes = randomBytes(5);
  let bits = 0n;
  for (const b of bytes) bits = (bits << 8n) | BigInt(b);
  let out = '';
  for (let i = 7; i >= 0; i--) out += BASE32[Number((bits >> BigInt(i * 5)) & 31n)];
  return out;
}

/** A new device id such as `tr-k3j9x2ab`. */
export function generateDeviceId(kind: DeviceKind): string {
  return `${KIND_PREFIX[kind]}-${randomSuffix()}`;
}

/** True when `id` can be used as a device id (and so as a topic level). */
export function isValidDeviceId(id: string): boolean {
  return DEVICE_ID_PATTERN.test(id);
}
