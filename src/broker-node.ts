import type { Config } from '@cityhub/contracts';
import { startHealthServer } from './health-server.js';
import type { Logger } from './logger.js';
import { openNodeState } from './node-state.js';
import { deviceHooks, ingestReadiness, listenBroker, openIngestParts } from './parts.js';
import { sharedBrokerState } from './redis.js';
import { relayLive } from './relay.js';
import { serviceHook } from './service.js';

export interface RunningBrokerNode { mqttUrl: string; mqttExtra: string[]; httpUrl: string; stop(): Promise<void> }

/** How long after a write its rollup buckets are rebuilt once more, in ms. */
const ROLLUP_SETTLE_MS = 5_000;

/**
 * `cityhub broker`: one broker node of a split deployment. It takes its own connections' readings into its
 * own spool (a QoS 1 PUBACK still means "on this node's disk") and writes them to the shared store; with
 * `CITYHUB_REDIS_URL`, subscriptions, retained status, sessions and wills are shared with the other nodes,
 * and so are the device registry, API tokens and alert rules. It publishes the readings it validated on
 * `cityhub/live/{kind}` and alert events on `cityhub/alerts`, where api nodes take their live feed.
 */
export async function startBrokerNode(config: Config, log: Logger): Promise<RunningBrokerNode> {
  // Other nodes write the same InfluxDB: rollups touched by a device that moved between nodes are rebuilt
  // once more a few seconds later (see RollupSettler in the store).
  const { dataDir, stops, registry, tokens, rules, store, metrics } = await openNodeState(config, log, 'broker', { settleMs: ROLLUP_SETTLE_MS });
  try {
    const redisUrl = config.CITYHUB_REDIS_URL;
    const parts = await openIngestParts({ config, dataDir, store, registry, log, stops, metrics, rules });
    const { ingest } = parts;

    const state = redisUrl ? sharedBrokerState(redisUrl, log.child({ name: 'redis' })) : undefined;
    if (state) stops.push('redis', () => state.close());
    const { broker, mqttUrl, extra, closed } = await listenBroker(config, log, { ...deviceHooks(registry, parts), service: serviceHook(config, tokens) }, stops, state?.aedes);
    metrics.attach({ ingest: parts.ingest, connectedDevices: () => broker.connectedDevices() });
    relayLive(broker, parts, stops, { always: true });

    const health = startHealthServer({
      readiness: () => ({
        broker: closed() ? { ok: false, detail: 'stopping' } : { ok: true },
        ...(state && { redis: state.ok() ? { ok: true } : { ok: false, detail: 'not connected to CITYHUB_REDIS_URL' } }),
        ...ingestReadiness(ingest),
      }),
      metrics: () => metrics.api.render(),
    });
    stops.push('health', () => health.close());
    const httpPort = await health.listen(config.CITYHUB_HTTP_HOST, config.CITYHUB_HTTP_PORT);
    return { mqttUrl, mqttExtra: extra, httpUrl: `http://${config.CITYHUB_HTTP_HOST}:${httpPort}`, stop: () => stops.run() };
  } catch (err) {
    await stops.run();
    throw err;
  }
}
