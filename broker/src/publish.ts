import type { AedesOptions, AedesPublishPacket, Client, PublishPacket } from 'aedes';
import { errorsTopic, GATEWAY_KIND } from '@cityhub/contracts';
import { gatewayChildren, isStatusPayload, publishRight, type DeviceIdentity } from './acl.js';
import { parserOf } from './limits.js';
import type { BrokerContext } from './types.js';
import { isForeignWill, judgeForeignWill } from './wills.js';

/**
 * Where a publish the hub acknowledged but will not relay goes: a `$` topic no filter can reach (a
 * wildcard at the start of a filter never matches `$…` [MQTT-4.7.2-1], and no client may subscribe to
 * `$cityhub/…`), not retained and emptied. Rewriting the packet in `authorizePublish`, rather than
 * dropping it in `authorizeForward` only, holds on every node of a split deployment (the packet crosses
 * Redis as it is) and keeps an invalid payload out of the retained store and the wills.
 */
export const UNRELAYED_TOPIC = '$cityhub/unrelayed';

/** Empties a publish that must not reach subscribers; its PUBACK is still sent (aedes acknowledges by id). */
function unrelay(packet: PublishPacket): void {
  packet.topic = UNRELAYED_TOPIC;
  packet.payload = Buffer.alloc(0);
  packet.retain = false;
}

const asBuffer = (p: PublishPacket['payload']): Buffer => (Buffer.isBuffer(p) ? p : Buffer.from(p));

/** Why a publish is refused outright (the connection closes), or null when it is the device's own. */
function refusal(ctx: BrokerContext, client: Client | null, device: DeviceIdentity | undefined, packet: PublishPacket): string | null {
  const topic = packet.topic;
  if (!device) return client && ctx.services.has(client) ? 'a service connection may only subscribe' : 'not a device connection';
  if (device.listenOnly) return `a subscribe-only connection of device ${device.id} may not publish`;
  if (publishRight(device, topic) === null) return `device ${device.id} may publish only to city/${device.kind}/${device.id}/telemetry|status`;
  // A device disabled while connected: nothing more of it, status included, until its session ends (its
  // last will, `offline`, still goes out as the session ends: aedes lib/client.js publishes `client.will`).
  const isWill = (client as { will?: unknown } | null)?.will === packet;
  if (ctx.hooks.enabled && !isWill && !ctx.hooks.enabled(device.id)) return `device ${device.id} is disabled`;
  return null;
}

/**
 * `authorizePublish`: the only hook aedes runs before it writes the PUBACK (aedes
 * lib/handlers/publish.js: authorizePublish, then enqueuePublish), so the telemetry hook runs inside it
 * and the device is acknowledged only once its readings are on disk. A publish to a topic that is not the
 * device's own is dead-lettered and refused (the connection closes). On its own topics every payload is
 * acknowledged once it is durable, as readings or as dead letters; an invalid one (a status other than
 * `online`/`offline`, telemetry with a rejected reading) is not relayed, retained or kept as a will.
 */
export function authorizePublish(ctx: BrokerContext): NonNullable<AedesOptions['authorizePublish']> {
  const { hooks, logger, limits, rate, limitStats } = ctx;
  return (client, packet, callback) => {
    if (isForeignWill(client, packet)) {
      if (judgeForeignWill(ctx, client, packet) === 'drop') unrelay(packet);
      return callback(null);
    }
    if (client && ctx.superseded.has(client) && (client as { will?: unknown }).will === packet) {
      logger.info({ device: client.id, topic: packet.topic.slice(0, 300) }, 'the last will of a session taken over by a newer one: not published');
      unrelay(packet);
      return callback(null);
    }
    const device = client ? ctx.identities.get(client) : undefined;
    const payload = asBuffer(packet.payload);
    const why = refusal(ctx, client, device, packet);
    if (why !== null || !device) {
      logger.warn({ device: device?.id, topic: packet.topic.slice(0, 300) }, `publish refused: ${why}`);
      const done = () => callback(new Error(why ?? 'refused'));
      hooks.denied(device ?? null, packet.topic, payload, why ?? 'refused').then(done, done);
      return;
    }
    if (publishRight(device, packet.topic) === 'status') {
      if (isStatusPayload(payload)) return callback(null);
      if (device.kind === GATEWAY_KIND && hooks.childStatus) {
        const done = () => { unrelay(packet); callback(null); };
        hooks.childStatus(device, packet.topic, payload).then(done, (err: Error) => callback(err));
        return;
      }
      const done = () => { unrelay(packet); callback(null); };
      hooks.denied(device, packet.topic, payload, 'a status payload is "online" or "offline"').then(done, (err: Error) => callback(err));
      return;
    }
    // Over its rate, a device waits for its PUBACK (throttled, nothing dropped); far over it, it is
    // disconnected with the reason in the log, and publishes again when it reconnects.
    // A gateway's message counts once against its own rate and once against each child's it speaks for.
    const wait = Math.max(rate.delayFor(device.id), ...gatewayChildren(device, payload, (gw, c) => hooks.isChild?.(gw, c) ?? false).map((c) => rate.delayFor(c)));
    if (wait > limits.maxThrottleMs) {
      limitStats.rateDisconnects++;
      logger.warn({ device: device.id, rate: limits.publishPerSecond, behindMs: wait }, 'disconnected: publishing far over its rate');
      return callback(new Error('publish rate exceeded'));
    }
    if (wait > 0) limitStats.throttled++;
    const go = () => hooks.telemetry(device, packet.topic, payload).then(
      (verdict) => {
        if (verdict && !verdict.relay) unrelay(packet);
        callback(null);
        // After the PUBACK is queued: the device hears what was refused on its own errors topic.
        if (verdict?.feedback !== undefined) ctx.publish(errorsTopic(device.kind, device.id), verdict.feedback);
      },
      (err: Error) => {
        logger.warn({ device: device.id, err: err.message }, 'telemetry not acknowledged: not durable');
        callback(err);
      },
    );
    if (wait > 0) setTimeout(() => void go(), wait);
    else void go();
  };
}

/**
 * `authorizeForward`, the last guard before a subscriber: nothing of `$cityhub/…` and no status payload
 * other than `online`/`offline` reaches anyone, whichever node or path (a retained message stored before
 * this check existed, a will) it came from.
 */
export function authorizeForward(): NonNullable<AedesOptions['authorizeForward']> {
  return (_client, packet: AedesPublishPacket) => {
    if (packet.topic.startsWith('$cityhub/')) return null;
    if (packet.topic.startsWith('city/') && packet.topic.endsWith('/status') && !isStatusPayload(asBuffer(packet.payload))) return null;
    return packet;
  };
}

/**
 * aedes refuses a PUBLISH whose topic holds `+` or `#` before any hook runs (lib/handlers/publish.js) and
 * closes the connection: nothing would record it. The packet is noted as it is parsed, and dead-lettered
 * like any refused topic when aedes reports the error (by then the client is authenticated, or not).
 */
export function deadLetterWildcards(ctx: BrokerContext, client: Client): void {
  const parser = parserOf(client);
  parser?.prependListener('packet', (p) => {
    if (p.cmd !== 'publish' || ctx.wildcards.has(client) || !/[+#]/.test(p.topic ?? '')) return;
    ctx.wildcards.set(client, { topic: p.topic ?? '', payload: p.payload ?? Buffer.alloc(0) });
  });
}

/** The `clientError` half of `deadLetterWildcards`. */
export function onWildcardError(ctx: BrokerContext, client: Client, err: Error): void {
  const w = ctx.wildcards.get(client);
  if (!w || !/is not allowed in PUBLISH/.test(err.message)) return;
  ctx.wildcards.delete(client);
  const device = ctx.identities.get(client) ?? null;
  const why = `a topic may not hold a wildcard: ${err.message}`;
  ctx.logger.warn({ device: device?.id, topic: w.topic.slice(0, 300) }, `publish refused: ${why}`);
  ctx.hooks.denied(device, w.topic, asBuffer(w.payload), why).catch(() => undefined);
}
