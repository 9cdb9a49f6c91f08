import { z } from 'zod';
import {
  ALERT_TOPIC, AlertEvent, DeviceFeedback, GATEWAY_KIND, GatewayStatus, KINDS, MAX_FEEDBACK_ERRORS, MAX_GATEWAY_CHILDREN_PER_MESSAGE, TS_HINT, LIVE_TOPIC_PREFIX, MAX_READINGS_PER_MESSAGE, METRICS, NODE_USERNAME, RelayedReadings, STATUS_OFFLINE, STATUS_ONLINE,
  TOKEN_USERNAME, telemetrySchema, type Kind,
} from '@cityhub/contracts';
import { API_VERSION } from './version.js';

const MQTT_BINDING = '0.2.0';

const EXAMPLES: Record<Kind, Record<string, number | string>> = {
  traffic: { ts: '2026-01-31T08:00:00Z', seq: 1042, speed_kmh: 37.5, travel_time_s: 96, flow_veh_h: 840, occupancy_pct: 22 },
  wifi: { ts: '2026-01-31T08:00:00Z', seq: 77, clients: 128, rx_kbps: 5400, tx_kbps: 1200 },
  energy: { ts: '2026-01-31T08:00:00Z', seq: 9001, power_kw: 42.5, energy_kwh: 183_220.4 },
};

const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);

/** A zod schema of what the hub sends, as JSON Schema (draft 07). */
function outputPayload(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...json } = z.toJSONSchema(schema, { target: 'draft-7', io: 'output' }) as Record<string, unknown>;
  return { schemaFormat: 'application/schema+json;version=draft-07', schema: json };
}

/** A reading schema as JSON Schema (draft 07, what devices send: `ts` as ISO 8601 or epoch ms). */
function telemetryPayload(kind: Kind): Record<string, unknown> {
  const { $schema: _drop, ...schema } = z.toJSONSchema(telemetrySchema(kind), { target: 'draft-7', io: 'input' }) as Record<string, unknown>;
  return { schemaFormat: 'application/schema+json;version=draft-07', schema };
}

/** The channels, operations and messages of the document, filled in part by part. */
interface Parts {
  channels: Record<string, unknown>;
  operations: Record<string, unknown>;
  messages: Record<string, unknown>;
}

const deviceId = { description: 'The device id: 3 to 64 lower-case letters, digits and dashes. A device may publish only under its own id and kind.' };

/** What devices send: one telemetry channel per kind, a reading or an array of readings. */
function addTelemetry({ channels, operations, messages }: Parts, kind: Kind): void {
  const message = `${kind}Telemetry`;
  messages[message] = {
    name: message,
    title: `${cap(kind)} readings`,
    summary: `One ${kind} reading, or an array of up to ${MAX_READINGS_PER_MESSAGE} (a device that buffered while offline).`,
    description: `Every reading has \`ts\` (device time: ISO 8601 with an offset, or epoch milliseconds; at most 5 minutes ahead of the hub, ` +
      `not older than the raw retention) and \`seq\` (per-device sequence number: gaps measure loss). Metrics: ${METRICS[kind].join(', ')} ` +
      `(the first is required). A reading that fails is kept as a dead letter with its reason; the others of an array are accepted.`,
    contentType: 'application/json',
    payload: telemetryPayload(kind),
    examples: [{ name: 'one', payload: EXAMPLES[kind] }, { name: 'buffered', payload: [EXAMPLES[kind]] }],
    bindings: { mqtt: { bindingVersion: MQTT_BINDING } },
  };
  channels[message] = {
    address: `city/${kind}/{deviceId}/telemetry`,
    title: `${cap(kind)} telemetry`,
    parameters: { deviceId },
    messages: { [message]: { $ref: `#/components/messages/${message}` } },
  };
  operations[`receive${cap(kind)}Telemetry`] = {
    action: 'receive',
    title: `Receive ${kind} readings`,
    description: 'Publish with QoS 1: the PUBACK is sent once the reading is on the hub\'s disk (it then survives any crash and is stored exactly once).',
    channel: { $ref: `#/channels/${message}` },
    messages: [{ $ref: `#/channels/${message}/messages/${message}` }],
    bindings: { mqtt: { qos: 1, retain: false, bindingVersion: MQTT_BINDING } },
  };
}

/** The retained status channel, whose `offline` is the device's last will. */
function addStatus({ channels, operations, messages }: Parts): void {
  messages.status = {
    name: 'status',
    title: 'Device status',
    summary: `\`${STATUS_ONLINE}\` once connected, \`${STATUS_OFFLINE}\` as the last will; both retained.`,
    contentType: 'text/plain',
    payload: { type: 'string', enum: [STATUS_ONLINE, STATUS_OFFLINE] },
    examples: [{ name: 'online', payload: STATUS_ONLINE }, { name: 'lastWill', payload: STATUS_OFFLINE }],
    bindings: { mqtt: { bindingVersion: MQTT_BINDING } },
  };
  channels.status = {
    address: 'city/{kind}/{deviceId}/status',
    title: 'Device status',
    description: 'Retained. A device publishes `online` after it connects and sets `offline` (retained, QoS 1) as its last will, so that the hub learns when it drops.',
    parameters: { kind: { enum: [...KINDS, GATEWAY_KIND], description: 'The kind of the device.' }, deviceId },
    messages: { status: { $ref: '#/components/messages/status' } },
  };
  operations.receiveStatus = {
    action: 'receive',
    title: 'Receive device status',
    channel: { $ref: '#/channels/status' },
    messages: [{ $ref: '#/channels/status/messages/status' }],
    bindings: { mqtt: { qos: 1, retain: true, bindingVersion: MQTT_BINDING } },
  };
}

/** What the hub tells a device of the readings it refused. */
function addErrors({ channels, operations, messages }: Parts): void {
  messages.deviceFeedback = {
    name: 'deviceFeedback',
    title: 'Refused readings',
    summary: 'What the hub refused of one telemetry message, each with its reason, the field at fault and a hint of what is valid.',
    description: `Published by the hub (QoS 1, not retained) right after the PUBACK of a telemetry message of which a reading, or the whole ` +
      `message, was refused; the refused readings are also kept as dead letters. At most ${MAX_FEEDBACK_ERRORS} refusals are listed, the rest ` +
      `counted in \`omitted\`. For \`ts\` the hint is "${TS_HINT}". For a gateway, each refusal names the child in \`device\`.`,
    contentType: 'application/json',
    payload: outputPayload(DeviceFeedback),
    examples: [{
      name: 'misspelt',
      payload: {
        topic: 'city/traffic/tr-4k2m9q0x/telemetry', received: '2026-12-05T06:30:00.120Z', accepted: 0, omitted: 0,
        errors: [{ index: null, seq: 7, reason: 'schema', field: 'speed_kmhh', message: 'speed_kmh: Invalid input: expected number, received undefined; Unrecognized key: "speed_kmhh"', hint: 'fields of a traffic reading: ts, seq, speed_kmh (required); optional: travel_time_s, flow_veh_h, occupancy_pct' }],
      },
    }],
    bindings: { mqtt: { bindingVersion: MQTT_BINDING } },
  };
  channels.errors = {
    address: 'city/{kind}/{deviceId}/errors',
    title: 'Refused readings, to the device',
    description: 'Inside the subtree a device may subscribe to; only the hub publishes here (a device publishing to it is refused).',
    parameters: { kind: { enum: [...KINDS, GATEWAY_KIND], description: 'The kind of the device.' }, deviceId },
    messages: { deviceFeedback: { $ref: '#/components/messages/deviceFeedback' } },
  };
  operations.sendErrors = {
    action: 'send',
    title: 'Tell a device what was refused',
    channel: { $ref: '#/channels/errors' },
    messages: [{ $ref: '#/channels/errors/messages/deviceFeedback' }],
    security: [{ $ref: '#/components/securitySchemes/device' }],
    bindings: { mqtt: { qos: 1, retain: false, bindingVersion: MQTT_BINDING } },
  };
}

/** What a gateway sends for its children: their readings, and their status. */
function addGateway({ channels, operations, messages }: Parts): void {
  messages.gatewayTelemetry = {
    name: 'gatewayTelemetry',
    title: 'Readings of a gateway\'s children',
    summary: `{"<childId>": reading or [readings…], …} for up to ${MAX_GATEWAY_CHILDREN_PER_MESSAGE} children registered under the gateway.`,
    description: 'Each child\'s readings are validated against its own kind, bound to its own asset, counted in its own accounting (rate, ' +
      'seq gaps, rejections) and dead-lettered under it, exactly as if it had published them on its own topic; the PUBACK is sent once ' +
      'all are durable. A message naming any device that is not registered under the gateway is refused whole (`not_a_child`): one ' +
      'dead letter under the gateway, nothing stored.',
    contentType: 'application/json',
    payload: {
      schemaFormat: 'application/schema+json;version=draft-07',
      schema: { type: 'object', minProperties: 1, maxProperties: MAX_GATEWAY_CHILDREN_PER_MESSAGE, additionalProperties: { description: 'The child\'s readings, as on city/{its kind}/{its id}/telemetry.' } },
    },
    examples: [{ name: 'two children', payload: { 'tr-cab1-d1': [EXAMPLES.traffic], 'tr-cab1-d2': EXAMPLES.traffic } }],
    bindings: { mqtt: { bindingVersion: MQTT_BINDING } },
  };
  messages.gatewayStatus = {
    name: 'gatewayStatus',
    title: 'Status of a gateway\'s children',
    summary: '{"<childId>": "online" | "offline", …}; on the same topic the gateway\'s own `online` / `offline` (retained, last will).',
    description: 'Not retained or relayed. When the gateway itself goes offline, so do its children.',
    contentType: 'application/json',
    payload: outputPayload(GatewayStatus),
    bindings: { mqtt: { bindingVersion: MQTT_BINDING } },
  };
  channels.gatewayTelemetry = {
    address: `city/${GATEWAY_KIND}/{deviceId}/telemetry`,
    title: 'Gateway telemetry',
    parameters: { deviceId },
    messages: { gatewayTelemetry: { $ref: '#/components/messages/gatewayTelemetry' } },
  };
  channels.gatewayStatus = {
    address: `city/${GATEWAY_KIND}/{deviceId}/status`,
    title: 'Gateway children status',
    parameters: { deviceId },
    messages: { gatewayStatus: { $ref: '#/components/messages/gatewayStatus' } },
  };
  operations.receiveGatewayTelemetry = {
    action: 'receive', title: 'Receive the readings of a gateway\'s children', channel: { $ref: '#/channels/gatewayTelemetry' },
    messages: [{ $ref: '#/channels/gatewayTelemetry/messages/gatewayTelemetry' }],
    bindings: { mqtt: { qos: 1, retain: false, bindingVersion: MQTT_BINDING } },
  };
  operations.receiveGatewayStatus = {
    action: 'receive', title: 'Receive the status of a gateway\'s children', channel: { $ref: '#/channels/gatewayStatus' },
    messages: [{ $ref: '#/channels/gatewayStatus/messages/gatewayStatus' }],
    bindings: { mqtt: { qos: 1, retain: false, bindingVersion: MQTT_BINDING } },
  };
}

/** What the hub sends to read-only subscribers: validated readings per kind. */
function addRelayedReadings({ channels, operations, messages }: Parts): void {
  messages.relayedReadings = {
    name: 'relayedReadings',
    title: 'Validated readings',
    summary: 'The readings the hub accepted, bound to their assets, a few milliseconds\' worth per message.',
    description: 'Sent at QoS 0 as a live view: the store is the record (`/api/v1/series`, `/api/v1/export`). `ts` is device time in epoch milliseconds.',
    contentType: 'application/json',
    payload: outputPayload(RelayedReadings),
    bindings: { mqtt: { bindingVersion: MQTT_BINDING } },
  };
  channels.relayedReadings = {
    address: `${LIVE_TOPIC_PREFIX}{kind}`,
    title: 'Validated readings',
    parameters: { kind: { enum: [...KINDS], description: 'The kind of the readings.' } },
    messages: { relayedReadings: { $ref: '#/components/messages/relayedReadings' } },
  };
  operations.sendRelayedReadings = {
    action: 'send',
    title: 'Relay validated readings to read-only subscribers',
    channel: { $ref: '#/channels/relayedReadings' },
    messages: [{ $ref: '#/channels/relayedReadings/messages/relayedReadings' }],
    security: [{ $ref: '#/components/securitySchemes/service' }],
    bindings: { mqtt: { qos: 0, retain: false, bindingVersion: MQTT_BINDING } },
  };
}

/** What the hub sends to read-only subscribers: alert events. */
function addAlertEvents({ channels, operations, messages }: Parts): void {
  messages.alertEvent = {
    name: 'alertEvent',
    title: 'Alert event',
    summary: 'An alert was opened, acknowledged or cleared (the alert log of `/api/v1/alerts`, as it happens).',
    contentType: 'application/json',
    payload: outputPayload(AlertEvent),
    bindings: { mqtt: { bindingVersion: MQTT_BINDING } },
  };
  channels.alerts = {
    address: ALERT_TOPIC,
    title: 'Alert events',
    messages: { alertEvent: { $ref: '#/components/messages/alertEvent' } },
  };
  operations.sendAlertEvents = {
    action: 'send',
    title: 'Send alert events to read-only subscribers',
    channel: { $ref: '#/channels/alerts' },
    messages: [{ $ref: '#/channels/alerts/messages/alertEvent' }],
    security: [{ $ref: '#/components/securitySchemes/service' }],
    bindings: { mqtt: { qos: 0, retain: false, bindingVersion: MQTT_BINDING } },
  };
}

/**
 * The MQTT interface as an AsyncAPI 3.1 document, generated from the same zod schemas that ingest validates
 * with: one telemetry channel per kind (a reading or an array of readings), and the retained status channel
 * whose `offline` is the device's last will, which the hub receives; and what it sends to read-only
 * subscribers: validated readings per kind and alert events.
 */
export function buildAsyncApi(opts: { mqttUrl?: string } = {}): Record<string, unknown> {
  const url = new URL(opts.mqttUrl ?? 'mqtt://localhost:1883');
  const parts: Parts = { channels: {}, operations: {}, messages: {} };
  for (const kind of KINDS) addTelemetry(parts, kind);
  addStatus(parts);
  addErrors(parts);
  addGateway(parts);
  addRelayedReadings(parts);
  addAlertEvents(parts);
  const { channels, operations, messages } = parts;

  return {
    asyncapi: '3.1.0',
    info: {
      title: 'City Hub MQTT interface',
      version: API_VERSION,
      description: 'How field devices (road-traffic sensors, public Wi-Fi hotspots, building energy meters) send readings to the hub. ' +
        'MQTT 3.1.1; a device connects with its id as client id and user name and its secret as password, with a persistent session ' +
        '(clean session off), and may publish and subscribe only under `city/{its kind}/{its id}/`. Generated from the hub\'s zod schemas.',
    },
    defaultContentType: 'application/json',
    servers: {
      hub: {
        host: url.host,
        protocol: url.protocol.replace(/:$/, ''),
        protocolVersion: '3.1.1',
        description: 'The hub\'s MQTT broker.',
        security: [{ $ref: '#/components/securitySchemes/device' }, { $ref: '#/components/securitySchemes/service' }],
        bindings: {
          mqtt: {
            cleanSession: false,
            lastWill: { topic: 'city/{kind}/{deviceId}/status', qos: 1, message: STATUS_OFFLINE, retain: true },
            bindingVersion: MQTT_BINDING,
          },
        },
      },
    },
    channels,
    operations,
    components: {
      messages,
      securitySchemes: {
        device: { type: 'userPassword', description: 'User name: the device id. Password: the secret shown once when the device was created (`cityhub devices add`, `POST /api/v1/devices`).' },
        service: {
          type: 'userPassword',
          description: `A read-only subscriber, with a client id of the reserved form \`svc:…\` (no device id can take it; any other is refused with CONNACK 2). User name \`${TOKEN_USERNAME}\` and an API token (\`cityhub tokens add\`) as password, ` +
            `or \`${NODE_USERNAME}\` and the hub's CITYHUB_NODE_SECRET (its own api nodes). It may subscribe to \`city/…\` and \`cityhub/…\`, never publish.`,
        },
      },
    },
  };
}
