import { CodedError } from '@cityhub/contracts';

/**
 * The devices workspace's coded errors. Code matches on `code`; users read the message.
 * `usage` marks errors caused by the caller's input (the CLI exits 2 for them).
 */
export const DEVICE_ERRORS = {
  UNKNOWN_ASSET: { usage: true },
  WRONG_KIND: { usage: true },
  DUPLICATE_ID: { usage: true },
  BAD_ID: { usage: true },
  BAD_KIND: { usage: true },
  /** `--gateway` names no gateway, or a gateway was put under one. */
  BAD_GATEWAY: { usage: true },
  UNKNOWN_DEVICE: { usage: true },
  BAD_ROLE: { usage: true },
  UNKNOWN_TOKEN: { usage: true },
  UNKNOWN_USER: { usage: true },
  DUPLICATE_USER: { usage: true },
  BAD_USER: { usage: true },
  WEAK_PASSWORD: { usage: true },
  REGISTRY_LOCKED: { usage: false },
  REGISTRY_CORRUPT: { usage: false },
  REGISTRY_CLOSED: { usage: false },
  /** The Redis of CITYHUB_REDIS_URL did not answer (at open, or while a change was made). */
  REDIS_UNAVAILABLE: { usage: false },
} as const;

export type DeviceErrorCode = keyof typeof DEVICE_ERRORS;

/** An error of the device registry or the simulator, with a stable `code`. */
export class DeviceError extends CodedError<DeviceErrorCode> {
  override readonly name = 'DeviceError';

  /** True when the caller's input caused the error (not the system). */
  get usage(): boolean {
    return DEVICE_ERRORS[this.code].usage;
  }
}

/** True when `e` is a DeviceError, optionally of the given code. */
export function isDeviceError(e: unknown, code?: DeviceErrorCode): e is DeviceError {
  return e instanceof DeviceError && (code === undefined || e.code === code);
}
