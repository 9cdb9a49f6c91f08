import type { Aedes, AedesOptions, Client } from 'aedes';
import { LISTENER_CLIENT_SUFFIX, SERVICE_CLIENT_ID_PREFIX } from '@cityhub/contracts';
import { authenticateDevice, AuthError } from './authenticate.js';
import { forgetConnect, parserOf } from './limits.js';
import type { BrokerContext, LoginRefusal, SessionCheck } from './types.js';

/** The refusal reason of an AuthError, for counting and logging. */
function reasonOf(err: AuthError): LoginRefusal {
  return err.reason ?? (err.returnCode === 5 ? 'backed_off' : err.returnCode === 3 ? 'unavailable' : 'bad_credentials');
}

/** Counts a refused login by reason and logs it with the client's address. */
function refused(ctx: BrokerContext, client: Client, username: string | undefined, err: AuthError): AuthError {
  const reason = reasonOf(err);
  ctx.refusals.set(reason, (ctx.refusals.get(reason) ?? 0) + 1);
  const address = ctx.addresses.get(client.conn) ?? 'unknown';
  const line = { client: ctx.emptyIds.has(client) ? '' : client.id, user: username?.slice(0, 128), address, reason, connack: err.returnCode };
  if (reason === 'backed_off') ctx.logger.debug(line, 'login refused');
  else ctx.logger.warn(line, 'login refused');
  return err;
}

/** Counts a connection while it lasts. */
function hold(client: Client, counts: BrokerContext['counts'], key: 'connected' | 'services', changed?: (n: number) => void): void {
  counts[key]++;
  changed?.(counts.connected);
  client.conn.once('close', () => {
    counts[key]--;
    changed?.(counts.connected);
  });
}

/**
 * `authenticate`: a service client by its credentials (with a client id of the reserved `svc:` form), else a
 * device whose client id is its device id (or that id and `:listen`, subscribe-only). An empty client id gets CONNACK 2 [MQTT-3.1.3-9], wrong
 * credentials CONNACK 4; every refusal is counted by reason and logged with the address.
 */
export function authenticate(ctx: BrokerContext): NonNullable<AedesOptions['authenticate']> {
  const { hooks, logger, identities, services } = ctx;
  // Made once: a closure made per login would keep that login's scope (its secret among it) for as long as
  // the connection is open, through the close listener of hold().
  const connections = (n: number) => hooks.connections?.(n);
  return (client, username, password, callback) => {
    const secret = password ? Buffer.from(password).toString('utf8') : '';
    const check = async (): Promise<AuthError | null> => {
      if (ctx.emptyIds.has(client)) return new AuthError(2, 'a client id is required', 'empty_client_id');
      if (!username || !secret) return new AuthError(4, 'username and password are required', 'no_credentials');
      const svc = hooks.service ? await hooks.service(username, secret) : null;
      if (svc) {
        if (!client.id.startsWith(SERVICE_CLIENT_ID_PREFIX)) return new AuthError(2, `a service's client id must start with ${SERVICE_CLIENT_ID_PREFIX}`, 'service_client_id');
        services.set(client, svc);
        hold(client, ctx.counts, 'services');
        logger.info({ service: svc.name, client: client.id }, 'service client connected');
        return null;
      }
      // A service's form with credentials that name no service: wrong credentials.
      if (client.id.startsWith(SERVICE_CLIENT_ID_PREFIX)) return new AuthError(4, 'bad user name or password', 'bad_credentials');
      const listener = client.id === username + LISTENER_CLIENT_SUFFIX;
      if (client.id !== username && !listener) {
        return new AuthError(4, `the client id must be the device id (or the device id and ${LISTENER_CLIENT_SUFFIX} for a subscribe-only connection)`, 'client_id_mismatch');
      }
      const device = await authenticateDevice(ctx.guard, hooks, username, secret, ctx.addresses.get(client.conn) ?? 'unknown');
      if (device instanceof AuthError) return device;
      identities.set(client, listener ? { ...device, listenOnly: true } : device);
      hold(client, ctx.counts, 'connected', connections);
      // A session of the same id still open here is taken over ([MQTT-3.1.4-2]); its will must not follow.
      const held = (client as Client & { broker?: { clients: Record<string, Client | undefined> } }).broker?.clients[client.id];
      if (held && held !== client) ctx.superseded.add(held);
      return null;
    };
    check().then(
      (err) => {
        if (!err) {
          const parser = parserOf(client);
          if (parser) forgetConnect(parser);
          return callback(null, true);
        }
        const answer = () => callback(refused(ctx, client, username, err), false);
        // A backed-off attempt waits before its CONNACK 5 (AuthLimits.refusalDelayMs, ±50 % so that the
        // attempts of a flood do not all come back in one tick), so a flood slows itself.
        const delay = ctx.guard.limits.refusalDelayMs * (0.5 + Math.random());
        if (err.reason === 'backed_off' && delay > 0) setTimeout(answer, delay);
        else answer();
      },
      (err: Error) => callback(refused(ctx, client, username, new AuthError(3, `authentication unavailable: ${err.message}`, 'unavailable')), false),
    );
  };
}

/**
 * Ends the sessions that may no longer be open: devices disabled or removed, services whose token was
 * revoked. Returns how many were closed.
 */
export function evictSessions(ctx: BrokerContext, aedes: Aedes, check: SessionCheck): number {
  let n = 0;
  const clients = (aedes as unknown as { clients: Record<string, Client> }).clients;
  for (const client of Object.values(clients)) {
    const device = ctx.identities.get(client);
    const svc = ctx.services.get(client);
    const why = device && !check.device(device.id) ? 'device disabled' : svc && !check.service(svc.name) ? 'credentials revoked' : null;
    if (!why) continue;
    ctx.logger.warn({ client: client.id, ...(svc && { service: svc.name }), why }, 'session ended');
    client.close();
    n++;
  }
  return n;
}
