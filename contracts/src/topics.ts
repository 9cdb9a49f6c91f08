import { DeviceKind, type Kind } from './kinds.js';

/** The device kinds, for a lookup per message rather than a schema parse. */
const DEVICE_KINDS: ReadonlySet<string> = new Set(DeviceKind.options);

/**
 * Device ids: lower-case letters, digits and dashes, 3 to 64 characters. Never a topic separator or
 * wildcard, so a device id can be put in a topic level as it is.
 */
export const DEVICE_ID_PATTERN = /^[a-z0-9][a-z0-9-]{2,63}$/;

export type Channel = 'telemetry' | 'status';
export interface DeviceTopic { kind: DeviceKind; deviceId: string; channel: Channel }

export const telemetryTopic = (kind: DeviceKind, deviceId: string): string => `city/${kind}/${deviceId}/telemetry`;
export const statusTopic = (kind: DeviceKind, deviceId: string): string => `city/${kind}/${deviceId}/status`;
/** What the hub refused of a device's messages, with the reasons (`DeviceFeedback`); the device may subscribe to it. */
export const errorsTopic = (kind: string, deviceId: string): string => `city/${kind}/${deviceId}/errors`;
/** Everything a device may subscribe to: its own subtree. */
export const deviceSubtree = (kind: DeviceKind, deviceId: string): string => `city/${kind}/${deviceId}/`;
/** What ingest subscribes to on an external broker. */
export const TELEMETRY_FILTER = 'city/+/+/telemetry';
export const STATUS_FILTER = 'city/+/+/status';

/** Validated readings the hub relays to read-only subscribers, one topic per kind: `cityhub/live/traffic`… */
export const LIVE_TOPIC_PREFIX = 'cityhub/live/';
export const liveTopic = (kind: Kind): string => `${LIVE_TOPIC_PREFIX}${kind}`;
/** Alert events (opened, acknowledged, cleared), one JSON event per message. */
export const ALERT_TOPIC = 'cityhub/alerts';
/**
 * A device may hold, besides its own connection (client id = its id), one subscribe-only connection whose
 * client id is its id followed by this (`tr-4k2m9q0x:listen`), with the same credentials: to follow its
 * errors topic from a second process (`mosquitto_sub`). It may not publish or set a will.
 */
export const LISTENER_CLIENT_SUFFIX = ':listen';
/** The MQTT user name of the hub's own processes (password: `CITYHUB_NODE_SECRET`). */
export const NODE_USERNAME = 'cityhub-node';
/** The MQTT user name under which an API token (the password) subscribes read-only. */
export const TOKEN_USERNAME = 'token';
/**
 * The client-id form of read-only service clients: `svc:` and anything after it. A device id never holds
 * a `:` (DEVICE_ID_PATTERN), so no device can take a service's id, nor a service a device's.
 */
export const SERVICE_CLIENT_ID_PREFIX = 'svc:';

/**
 * Parses `city/{kind}/{deviceId}/{telemetry|status}` (kind `gateway` included); anything else is `null`.
 * A gateway's telemetry is `{"<childId>": [readings…], …}`; its status topic carries its own `online` /
 * `offline`, or its children's as `{"<childId>": "online" | "offline", …}` (`GatewayStatus`).
 */
export function parseTopic(topic: string): Readonly<DeviceTopic> | null {
  const known = parsedTopics.get(topic);
  if (known) return known;
  if (parsedTopics.size >= PARSED_TOPICS_MAX) parsedTopics.clear();
  const t = parse(topic);
  if (t !== null) parsedTopics.set(topic, Object.freeze(t));
  return t;
}

/**
 * Device topics already parsed: the broker and ingest ask three times for every message, and each parse allocated
 * an array and four strings (about 4 % of what the acknowledging thread allocated in a flood). A device publishes to
 * two topics; past `PARSED_TOPICS_MAX` (about 2 MB) the table starts again. Topics that are no device's are not kept.
 */
const parsedTopics = new Map<string, Readonly<DeviceTopic>>();
const PARSED_TOPICS_MAX = 20_000;

function parse(topic: string): DeviceTopic | null {
  const parts = topic.split('/');
  if (parts.length !== 4 || parts[0] !== 'city') return null;
  const [, kind, deviceId, channel] = parts as [string, string, string, string];
  if (!DEVICE_KINDS.has(kind) || !DEVICE_ID_PATTERN.test(deviceId)) return null;
  if (channel !== 'telemetry' && channel !== 'status') return null;
  return { kind: kind as DeviceKind, deviceId, channel };
}

/** Status payloads; the offline one is the device's last will. Both are retained. */
export const STATUS_ONLINE = 'online';
export const STATUS_OFFLINE = 'offline';
export type DeviceStatus = typeof STATUS_ONLINE | typeof STATUS_OFFLINE;

const utf8 = new TextDecoder();

/** A status topic's payload as a status; anything other than `online` or `offline` is undefined. */
export function parseDeviceStatus(payload: Uint8Array | string): DeviceStatus | undefined {
  const s = typeof payload === 'string' ? payload : utf8.decode(payload);
  return s === STATUS_ONLINE || s === STATUS_OFFLINE ? s : undefined;
}
