import type { Config } from '@cityhub/contracts';
import { startHealthServer } from './health-server.js';
import type { Logger } from './logger.js';
import { openNodeState } from './node-state.js';
import { deviceHooks, ingestReadiness, listenBroker, openIngest } from './parts.js';
import { startAlertLeader } from './alert-leader.js';
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
 * `cityhub/live/{kind}`, where api nodes take their live feed and the node that runs the alert engine for
 * all of them (one at a time, see `startAlertLeader`) takes its readings.
 */
export async function startBrokerNode(config: Config, log: Logger): Promise<RunningBrokerNode> {
  // Other nodes write the same InfluxDB: rollups touched by a device that moved between nodes are rebuilt
  // once more a few seconds later (see RollupSettler in the store).
  const { dataDir, stops, registry, tokens, rules, store, metrics } = await openNodeState(config, log, 'broker', { settleMs: ROLLUP_SETTLE_MS });
  try {
    const redisUrl = config.CITYHUB_REDIS_URL;
    const ingest = await openIngest({ config, dataDir, store, registry, log, stops, metrics });

    const state = redisUrl ? sharedBrokerState(redisUrl, log.child({ name: 'redis' })) : undefined;
    if (state) stops.push('redis', () => state.close());
    // Device status reaches the alert engine over the shared bus (see startAlertLeader), not from here.
    const { broker, mqttUrl, extra, closed } = await listenBroker(config, log, { ...deviceHooks(registry, ingest), service: serviceHook(config, tokens) }, stops, state?.aedes);
    metrics.attach({ ingest, connectedDevices: () => broker.connectedDevices(), spoolCapBytes: config.CITYHUB_SPOOL_CAP_MB * 1024 * 1024 });
    relayLive(broker, ingest, stops, { always: true });
    const alerting = await startAlertLeader({ config, dataDir, store, registry, rules, broker, log: log.child({ name: 'alert-leader' }) });
    stops.push('alerts', () => alerting.stop());

    const health = startHealthServer({
      readiness: () => ({
        broker: closed() ? { ok: false, detail: 'stopping' } : { ok: true },
        ...(state && { redis: state.ok() ? { ok: true } : { ok: false, detail: 'not connected to CITYHUB_REDIS_URL' } }),
        ...ingestReadiness(ingest),
        alerts: { ok: true, detail: alerting.leading() ? 'this node runs the alert engine' : 'another node runs the alert engine' },
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
