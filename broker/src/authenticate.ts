import type { DeviceIdentity } from './acl.js';
import type { AuthGuard } from './auth-guard.js';

/** A refused CONNECT: aedes answers CONNACK with `returnCode`. */
export class AuthError extends Error {
  constructor(readonly returnCode: number, message: string) {
    super(message);
  }
}

type Authenticate = (id: string, secret: string, opts?: { cachedOnly?: boolean }) => Promise<DeviceIdentity | null>;

/**
 * A device's login through the guard: while its id or address is backed off (or has its share of slow
 * checks running), only a secret verified before is accepted, at once and without hashing; anything else
 * gets CONNACK 5 straight away. Otherwise the hook's slow check runs, and a failure counts towards the
 * back-off of the id and the address.
 */
export async function authenticateDevice(
  guard: AuthGuard, hooks: { authenticate: Authenticate }, id: string, secret: string, address: string,
  logger: { warn(obj: object, msg?: string): void; debug(obj: object, msg?: string): void },
): Promise<DeviceIdentity | AuthError> {
  const held = guard.holdBack(id, address);
  if (held) {
    const cached = await hooks.authenticate(id, secret, { cachedOnly: true });
    if (cached) return cached;
    // Not counted as a failure: no secret was checked (a crowd of devices reconnecting at once after a
    // node died gets here too, and must not back off for it).
    guard.stats.refusedFast++;
    logger.debug({ device: id, address, why: held }, 'authentication refused without a check');
    return new AuthError(5, `not authorised: ${held}`);
  }
  const device = await guard.check(id, address, () => hooks.authenticate(id, secret));
  if (!device) {
    logger.warn({ device: id, address }, 'authentication refused');
    return new AuthError(4, 'bad user name or password');
  }
  return device;
}
