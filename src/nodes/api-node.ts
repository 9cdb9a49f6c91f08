import { acknowledge } from '@cityhub/alerts';
import type { Config } from '@cityhub/contracts';
import { liveFeed } from '../live/feed.js';
import type { Logger } from '../ops/logger.js';
import { serveApi } from '../wiring/api.js';
import { ingestReadiness, openIngest } from '../wiring/ingest.js';
import { openNodeState } from '../wiring/node-state.js';
import { reopensOf } from '../wiring/store.js';

export interface RunningApiNode { httpUrl: string; stop(): Promise<void> }

/**
 * `cityhub api`: the HTTP API and the dashboard, with no broker of its own, so any number can run behind a
 * load balancer (its only disk state is the spool of dead letters being replayed). It reads the shared store (InfluxDB), the registry, tokens and rules where
 * every node sees them (Redis with `CITYHUB_REDIS_URL`), and takes its live feed from the broker nodes over
 * MQTT as the `cityhub-node` service (`CITYHUB_BROKER_URL`, `CITYHUB_NODE_SECRET`).
 */
export async function startApiNode(config: Config, log: Logger): Promise<RunningApiNode> {
  const state = await openNodeState(config, log, 'api');
  const { dataDir, stops, registry, store, metrics } = state;
  try {
    // Dead letters replayed through this node are spooled here and written by its own writer, as a broker
    // node's readings are: the replay's answer means they are durable.
    // Retention is the broker nodes' job: this ingest only takes replays.
    const replays = await openIngest({ config, dataDir, store, registry, log: log.child({ name: 'replay' }), stops, metrics, retention: false });
    metrics.attach({ ingest: replays, storeReopens: reopensOf(store) });
    const brokerUrl = config.CITYHUB_BROKER_URL ?? `mqtt://${config.CITYHUB_MQTT_HOST}:${config.CITYHUB_MQTT_PORT}`;
    const feed = liveFeed(config, brokerUrl, log.child({ name: 'live-feed' }));
    stops.push('live feed', () => feed.close());

    const httpUrl = await serveApi(config, log, state, undefined, {
      live: feed.points,
      mqttUrl: config.CITYHUB_MQTT_PUBLIC_URL ?? brokerUrl,
      alerts: { events: feed.alerts, acknowledge: (id, by, c) => acknowledge(store, id, by, c), deliveries: () => [] },
      replay: (letters) => replays.replay(letters),
      deviceStats: (id) => feed.devices.peek(id),
      readiness: () => ({
        live: feed.connected() ? { ok: true } : { ok: false, detail: feed.problem() },
        ...ingestReadiness(replays),
      }),
    });
    return { httpUrl, stop: () => stops.run() };
  } catch (err) {
    await stops.run();
    throw err;
  }
}
