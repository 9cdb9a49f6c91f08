import { deviceSubtree, parseDeviceStatus, parseTopic, type Kind } from '@cityhub/contracts';

/** Who a connected device is, as the broker knows it after authentication. */
export interface DeviceIdentity { id: string; kind: Kind }

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
