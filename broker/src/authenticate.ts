import type { DeviceIdentity } from './acl.js';
import type { AuthGuard } from './auth-guard.js';
import type { LoginRefusal } from './types.js';

/** A refused CONNECT: aedes answers CONNACK with `returnCode`. */
export class AuthError extends Error {
  constructor(readonly returnCode: number, message: string, readonly reason?: LoginRefusal) {
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
): Promise<DeviceIdentity | AuthError> {
  const cached = await hooks.authenticate(id, secret, { cachedOnly: true });
  if (cached) return cached;
  return guard.serial(id, async () => {
    const held = guard.holdBack(id, address);
    if (held) {
      guard.stats.refusedFast++;
      return new AuthError(5, `not authorised: ${held}`, 'backed_off');
    }
    const device = await guard.check(id, address, () => hooks.authenticate(id, secret));
    return device ?? new AuthError(4, 'bad user name or password', 'bad_credentials');
  });
}
