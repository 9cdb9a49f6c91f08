import { Counter, Gauge, type Registry } from 'prom-client';
import type { LiveFeedStats } from '@cityhub/api';
import type { RunningBroker } from '@cityhub/broker';
import { VERSION } from './version.js';

/** The broker's counts as the metrics read them (a node without a broker has none). */
export type BrokerCounts = Pick<RunningBroker, 'connectedDevices' | 'serviceClients' | 'limitStats' | 'refusedLogins' | 'loginBackoffs'>;

/** What the operation metrics read at each scrape. */
export interface OperationSources {
  broker?: BrokerCounts;
  /** Age of the oldest reading durable in the spool and not yet stored, ms. */
  writerLagMs?: () => number;
  /** Times the store was reopened after its handle died. */
  storeReopens?: () => number;
  /** 1 while the embedded store runs on a thread of its own. */
  storeOwnThread?: () => number;
  live?: () => Readonly<LiveFeedStats>;
}

/** Route patterns of static files (the dashboard's hashed assets, one route each) fold into one label value. */
const API_ROUTE = /^\/(api|ngsi-ld|docs)(\/|$)/;
const OWN_ROUTES = new Set(['/healthz', '/readyz', '/metrics', '/openapi.json', '/asyncapi.json', 'unmatched']);
export const routeLabel = (route: string): string => (API_ROUTE.test(route) || OWN_ROUTES.has(route) ? route : 'static');

/**
 * What an operator watches besides the data path: MQTT connections and refused logins, what the broker's
 * limits did, the writer's lag, store reopens, the live feed's losses, and the build.
 */
export function operationMetrics(registry: Registry, src: () => OperationSources): void {
  const registers = [registry];
  new Gauge({ name: 'cityhub_build_info', help: 'The hub\'s version and Node.js version; always 1.', labelNames: ['version', 'node'], registers })
    .set({ version: VERSION, node: process.version }, 1);
  new Gauge({ name: 'cityhub_mqtt_connected_devices', help: 'Devices connected over MQTT to this node.', registers,
    collect() { this.set(src().broker?.connectedDevices() ?? 0); } });
  new Gauge({ name: 'cityhub_mqtt_connected_services', help: 'Read-only service clients (api nodes, city systems) connected to this node.', registers,
    collect() { this.set(src().broker?.serviceClients() ?? 0); } });
  new Counter({ name: 'cityhub_mqtt_logins_refused_total', help: 'MQTT logins refused, by reason.', labelNames: ['reason'], registers,
    collect() { this.reset(); for (const [reason, n] of src().broker?.refusedLogins() ?? []) this.inc({ reason }, n); } });
  new Counter({ name: 'cityhub_mqtt_limit_actions_total', help: 'What the broker\'s limits did: throttled publishes, rate disconnects, oversize packets, refused addresses, logins refused while backed off.',
    labelNames: ['action'], registers,
    collect() {
      this.reset();
      const b = src().broker;
      if (!b) return;
      const s = b.limitStats();
      const actions = { throttled: s.throttled, rate_disconnect: s.rateDisconnects, oversize: s.oversize, address_refused: s.ipRefused, login_backoff: b.loginBackoffs() };
      for (const [action, n] of Object.entries(actions)) this.inc({ action }, n);
    } });
  new Gauge({ name: 'cityhub_writer_lag_seconds', help: 'Age of the oldest reading durable in the spool and not yet in the store (0 when caught up).', registers,
    collect() { this.set((src().writerLagMs?.() ?? 0) / 1000); } });
  new Counter({ name: 'cityhub_store_reopens_total', help: 'Times the store was reopened after its handle died (DuckDB after a fatal error).', registers,
    collect() { this.reset(); this.inc(src().storeReopens?.() ?? 0); } });
  new Gauge({ name: 'cityhub_store_own_thread', help: 'Whether the embedded store runs on a thread of its own (1) or on the thread that acknowledges readings (0).', registers,
    collect() { this.set(src().storeOwnThread?.() ?? 0); } });
  new Counter({ name: 'cityhub_live_dropped_total', help: 'Live feed losses: readings left out of a full queue, clients coalesced, slow clients disconnected, clients refused.',
    labelNames: ['what'], registers,
    collect() {
      this.reset();
      const s = src().live?.();
      if (!s) return;
      const what = { readings_over_queue: s.queueOverflow, clients_coalesced: s.coalesced, clients_disconnected: s.dropped, clients_refused: s.refused };
      for (const [k, n] of Object.entries(what)) this.inc({ what: k }, n);
    } });
}
