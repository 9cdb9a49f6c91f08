import { createHash, timingSafeEqual } from 'node:crypto';
import type { ServiceIdentity } from '@cityhub/broker';
import { NODE_USERNAME, TOKEN_USERNAME, type Config } from '@cityhub/contracts';


const digest = (s: string) => createHash('sha256').update(s).digest();

/** True when `secret` is the configured node secret (compared in constant time); false when none is configured. */
export function checkNodeSecret(config: Config, secret: string): boolean {
  const expected = config.CITYHUB_NODE_SECRET;
  return expected !== undefined && timingSafeEqual(digest(secret), digest(expected));
}

/**
 * Read-only MQTT clients of the hub: `cityhub-node` with the node secret (api nodes), or `token` with an API
 * token of any role (a city system that follows the readings). Anything else is checked as a device.
 */
export function serviceHook(config: Config, tokens: { verifyFresh(token: string): Promise<{ id: string } | null> }):
  (username: string, secret: string) => Promise<ServiceIdentity | null> {
  return async (username, secret) => {
    if (username === NODE_USERNAME) return checkNodeSecret(config, secret) ? { name: NODE_USERNAME } : null;
    if (username === TOKEN_USERNAME) {
      // A token made a moment ago on another node or by the CLI is found even before its announcement arrives.
      const t = await tokens.verifyFresh(secret);
      return t ? { name: `token:${t.id}` } : null;
    }
    return null;
  };
}
