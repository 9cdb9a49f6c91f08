import { deviceSubtree, GATEWAY_KIND, parseDeviceStatus, parseTopic, type DeviceKind } from '@cityhub/contracts';

/** Who a connected device is, as the broker knows it after authentication. */
export interface DeviceIdentity {
  id: string; kind: DeviceKind;
  /** A device's subscribe-only connection (client id `{id}:listen`): it may subscribe in its subtree, never publish. */
  listenOnly?: boolean;
}

/** A read-only client of the hub's own (an api node's live feed, a city system): it subscribes, never publishes. */
export interface ServiceIdentity { name: string }

/**
 * A service may subscribe to the devices' topics (`city/…`) and the hub's own (`cityhub/…`: validated
 * readings and alerts); never to `$SYS` or to a bare `#`, which would take the broker's own topics too.
 */
export function mayServiceSubscribe(filter: string): boolean {
  return (filter.startsWith('city/') || filter.startsWith('cityhub/')) && filter.length < 512;
}

/** What a device may publish to a topic: its telemetry, its status, or nothing. */
export function publishRight(device: DeviceIdentity, topic: string): 'telemetry' | 'status' | null {
  const t = parseTopic(topic);
  if (!t || t.kind !== device.kind || t.deviceId !== device.id) return null;
  return t.channel;
}

/** A status payload is `online` or `offline` and nothing else. */
export function isStatusPayload(payload: Buffer): boolean {
  return parseDeviceStatus(payload) !== undefined;
}

/**
 * A device may subscribe only inside its own subtree `city/{kind}/{id}/…`. Wildcards are allowed after
 * that prefix; a filter that starts with a wildcard or `$` would reach other devices or the broker.
 */
export function maySubscribe(device: DeviceIdentity, filter: string): boolean {
  const prefix = deviceSubtree(device.kind, device.id);
  return filter.startsWith(prefix) && filter.length > prefix.length;
}

/**
 * The children a gateway's telemetry names (its top-level keys that `isChild` confirms), for the children's
 * publish rates; empty when the publisher is not a gateway or the payload is not a JSON object (ingest
 * refuses that). Names that are not its children take no rate bucket, so they cost the broker no memory.
 */
export function gatewayChildren(device: DeviceIdentity, payload: Buffer, isChild: (gateway: string, child: string) => boolean, max = 1_000): string[] {
  if (device.kind !== GATEWAY_KIND) return [];
  try {
    const o: unknown = JSON.parse(payload.toString('utf8'));
    if (o === null || typeof o !== 'object' || Array.isArray(o)) return [];
    return Object.keys(o).slice(0, max).filter((c) => isChild(device.id, c));
  } catch {
    return [];
  }
}
