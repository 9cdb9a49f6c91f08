import { z } from 'zod';
import { STATUS_OFFLINE, STATUS_ONLINE, DEVICE_ID_PATTERN } from './topics.js';

/** Children one gateway message may speak for. */
export const MAX_GATEWAY_CHILDREN_PER_MESSAGE = 1_000;

/**
 * What a gateway publishes on `city/gateway/{gw}/telemetry`: each child's readings by child id, each a
 * reading or an array of readings exactly as the child would publish them on its own telemetry topic.
 * Only the shape is checked here; each child's readings are validated against its own kind.
 */
export const GatewayTelemetry = z.record(z.string().regex(DEVICE_ID_PATTERN), z.unknown())
  .refine((o) => Object.keys(o).length > 0, 'a gateway message names at least one child')
  .refine((o) => Object.keys(o).length <= MAX_GATEWAY_CHILDREN_PER_MESSAGE, `at most ${MAX_GATEWAY_CHILDREN_PER_MESSAGE} children in one message`);
export type GatewayTelemetry = z.infer<typeof GatewayTelemetry>;

/**
 * What a gateway publishes on `city/gateway/{gw}/status` for its children: `{"<childId>": "online" |
 * "offline", …}` (not retained). The gateway's own status is `online` / `offline` on the same topic, as
 * any device's; a child's status is its gateway's status, unless the gateway said otherwise.
 */
export const GatewayStatus = z.record(z.string().regex(DEVICE_ID_PATTERN), z.enum([STATUS_ONLINE, STATUS_OFFLINE]))
  .refine((o) => Object.keys(o).length > 0, 'a gateway status names at least one child')
  .refine((o) => Object.keys(o).length <= MAX_GATEWAY_CHILDREN_PER_MESSAGE, `at most ${MAX_GATEWAY_CHILDREN_PER_MESSAGE} children in one message`);
export type GatewayStatus = z.infer<typeof GatewayStatus>;
