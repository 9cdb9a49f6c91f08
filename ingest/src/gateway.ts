import {
  GatewayTelemetry, MAX_JSON_DEPTH, isReadingKind, jsonDepth, telemetryTopic,
  type DeviceRecord, type DeviceRegistry, type Kind,
} from '@cityhub/contracts';
import { refuse, type Judged, type RefusalContext } from './refusal.js';

/** A child device that sends readings, as a gateway's message names it. */
export type Child = DeviceRecord & { kind: Kind };

export interface GatewayJudge {
  registry: Pick<DeviceRegistry, 'get'>;
  now: number;
  /** Validates one child's readings into `out`, exactly as if the child had published them on `topic`. */
  readings(out: Judged, child: Child, topic: string, value: unknown): void;
}

/** Parses a gateway's telemetry to its children's readings, or refuses it whole into `out` (null). */
function parseGatewayPayload(out: Judged, ctx: RefusalContext, payload: Buffer): GatewayTelemetry | null {
  const text = payload.toString('utf8');
  const whole = (reason: 'malformed_json' | 'too_deep' | 'schema', message: string) => {
    refuse(out, ctx, { index: null, reason, message, raw: payload, field: null });
    return null;
  };
  // One level more than a device's: the readings sit under the child's id.
  if (jsonDepth(text, MAX_JSON_DEPTH + 1) > MAX_JSON_DEPTH + 1) return whole('too_deep', `JSON nested deeper than ${MAX_JSON_DEPTH + 1} levels`);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return whole('malformed_json', `payload is not JSON: ${(e as Error).message}`);
  }
  const shape = GatewayTelemetry.safeParse(data);
  if (!shape.success) {
    const first = shape.error.issues[0];
    return whole('schema', `a gateway publishes {"<childId>": [readings…], …}: ${first ? `${first.path.join('.')} ${first.message}`.trim() : 'invalid'}`);
  }
  return shape.data;
}

/**
 * Judges a gateway's telemetry `{"<childId>": [readings…], …}`. Each child's readings are held to the
 * child's kind, asset, schema and accounting, and dead-lettered under the child (on the child's own
 * telemetry topic, so a replay judges them as the child's). A message that names any device which is not
 * registered under this gateway is refused whole: one dead letter under the gateway, nothing stored.
 */
export function judgeGateway(out: Judged, gw: DeviceRecord, topic: string, payload: Buffer, deps: GatewayJudge): void {
  const ctx: RefusalContext = { now: deps.now, device: gw.id, topic, kind: null };
  const data = parseGatewayPayload(out, ctx, payload);
  if (!data) return;
  const children: Array<[Child, unknown]> = [];
  const foreign: string[] = [];
  for (const [id, value] of Object.entries(data)) {
    const child = deps.registry.get(id);
    if (!child || child.gateway !== gw.id || !isReadingKind(child.kind)) foreign.push(id);
    else children.push([child as Child, value]);
  }
  if (foreign.length > 0) {
    const names = foreign.slice(0, 10).join(', ') + (foreign.length > 10 ? ` and ${foreign.length - 10} more` : '');
    const message = `gateway ${gw.id} may write only for devices registered under it; not its child: ${names}. Nothing of this message was stored`;
    refuse(out, ctx, { index: null, reason: 'not_a_child', message, raw: payload, field: foreign[0]! });
    return;
  }
  for (const [child, value] of children) {
    if (!child.enabled) {
      const childCtx: RefusalContext = { ...ctx, device: child.id, topic: telemetryTopic(child.kind, child.id), kind: child.kind, via: gw.id };
      refuse(out, childCtx, { index: null, reason: 'unknown_device', message: `device ${child.id} is disabled`, raw: JSON.stringify(value) ?? '', field: null });
    } else deps.readings(out, child, telemetryTopic(child.kind, child.id), value);
  }
}
