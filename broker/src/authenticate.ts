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
 * A device's login through the guard. A secret verified before is accepted at once, without hashing (a
 * device that connected before reconnects while someone guesses its id). Otherwise, one login of an id at a
 * time: while the id or its address is backed off, or the address has its share of slow checks, CONNACK 5
 * straight away; else the hook's slow check runs, and a failure counts towards the back-off of both.
 */
export async function authenticateDevice(
  guard: AuthGuard, hooks: { authenticate: Authenticate }, id: string, secret: string, address: string,
  logger: { warn(obj: object, msg?: string): void; debug(obj: object, msg?: string): void },
): Promise<DeviceIdentity | AuthError> {
  const cached = await hooks.authenticate(id, secret, { cachedOnly: true });
  if (cached) return cached;
  return guard.serial(id, async () => {
    const held = guard.holdBack(id, address);
    if (held) {
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
  });
}
