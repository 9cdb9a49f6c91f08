import { startAlertLeader } from '@cityhub/alerts';
import type { Config } from '@cityhub/contracts';
import { relayLive } from '../live/relay.js';
import { startHealthServer } from '../ops/health-server.js';
import type { Logger } from '../ops/logger.js';
import { brokerBus, deviceHooks, endRevokedSessions, listenBroker } from '../wiring/broker.js';
import { ingestReadiness, openIngest } from '../wiring/ingest.js';
import { openNodeState } from '../wiring/node-state.js';
import { loginStorm, ownThreadOf, reopensOf } from '../wiring/store.js';
import { sharedBrokerState } from '../wiring/redis.js';
import { serviceHook } from '../wiring/service.js';

export interface RunningBrokerNode { mqttUrl: string; mqttExtra: string[]; httpUrl: string; stop(): Promise<void> }

/**
 * `cityhub broker`: one broker node of a split deployment. It takes its own connections' readings into its
 * own spool (a QoS 1 PUBACK still means "on this node's disk") and writes them to the shared store; with
 * `CITYHUB_REDIS_URL`, subscriptions, retained status, sessions and wills are shared with the other nodes,
 * and so are the device registry, API tokens and alert rules. It publishes the readings it validated on
 * `cityhub/live/{kind}`, where api nodes take their live feed and the node that runs the alert engine for
 * all of them (one at a time, see `startAlertLeader` in @cityhub/alerts) takes its readings.
 */
export async function startBrokerNode(config: Config, log: Logger): Promise<RunningBrokerNode> {
  const { dataDir, stops, registry, tokens, rules, store, metrics, part } = await openNodeState(config, log, 'broker');
  try {
    const redisUrl = config.CITYHUB_REDIS_URL;
    const logins = loginStorm();
    const ingest = await openIngest({ config, dataDir, store, registry, log, stops, metrics, holdMove: logins.storm });

    const state = redisUrl ? sharedBrokerState(redisUrl, log.child({ name: 'redis' })) : undefined;
    if (state) stops.push('redis', () => state.close());
    // Device status reaches the alert engine over the shared bus (see startAlertLeader), not from here.
    const { broker, mqttUrl, extra, closed } = await listenBroker(config, log, { ...deviceHooks(registry, ingest), service: serviceHook(config, tokens) }, stops, state?.aedes);
    broker.aedes.on('clientReady', () => logins.login());
    metrics.attach({ ingest, broker, storeReopens: reopensOf(store), storeOwnThread: ownThreadOf(store), spoolCapBytes: config.CITYHUB_SPOOL_CAP_MB * 1024 * 1024 });
    endRevokedSessions(broker, registry, tokens, stops);
    relayLive(broker, ingest, stops, { always: true });
    const alerting = await startAlertLeader({ config, dataDir, store, registry, rules, bus: brokerBus(broker), log: part });
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
