import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ApiMetrics, LiveFeedStats } from '@cityhub/api';
import type { Ingest } from '@cityhub/ingest';
import { operationMetrics, routeLabel, type OperationSources } from './operation-metrics.js';

/** What the metrics read from the running hub at each scrape. */
export interface MetricSources extends OperationSources {
  ingest: Ingest;
  /** The spool's cap in bytes (`CITYHUB_SPOOL_CAP_MB`), so that rules can tell how full it is. */
  spoolCapBytes?: number;
  /** Alert notification deliveries (the newest 500), on the node that sends them. */
  deliveries?: () => ReadonlyArray<{ status: string; updated: number }>;
}

const noLive: LiveFeedStats = { clients: 0, coalesced: 0, coalescedTicks: 0, dropped: 0, refused: 0, queueOverflow: 0 };

/** The hub's metrics: the Prometheus registry, what the API reports, store write latency, and the sources read at each scrape. */
export interface Metrics { registry: Registry; api: ApiMetrics; storeWrite: (s: number, n: number, delay: number | null) => void; attach(src: MetricSources): void }

/**
 * How often the event-loop delay (`cityhub_process_nodejs_eventloop_lag_*`) is sampled, in ms; prom-client's
 * 10 ms timer alone kept an idle hub at 0.6 % of a core (0.2 % at 100 ms). A stall of the loop still shows.
 */
const EVENT_LOOP_SAMPLE_MS = 100;

/**
 * The hub's Prometheus metrics: readings in and out, rejects by reason, spool depth, store write latency,
 * connected devices, live clients, HTTP latency, per-device loss (seq gaps). Gauges and totals that the
 * hub already counts are read at scrape time, so the hot path does not pay for them.
 */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'cityhub_process_', eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  // prom-client also names these gauges `_total`, which Prometheus keeps for counters (promtool check metrics).
  for (const n of ['handles', 'requests', 'resources']) registry.removeSingleMetric(`cityhub_process_nodejs_active_${n}_total`);
  let src: MetricSources | undefined;
  let liveStats: (() => Readonly<LiveFeedStats>) | undefined;
  const sumStats = () => {
    const out = { readings: 0, gaps: 0, repeats: 0, rejected: new Map<string, number>(), online: 0 };
    if (!src) return out;
    for (const [, s] of src.ingest.stats.entries()) {
      out.readings += s.readings;
      out.gaps += s.gaps;
      out.repeats += s.repeats;
      if (s.status === 'online') out.online++;
      for (const [r, n] of Object.entries(s.rejected)) out.rejected.set(r, (out.rejected.get(r) ?? 0) + n);
    }
    return out;
  };
  new Counter({ name: 'cityhub_readings_accepted_total', help: 'Readings accepted and made durable.', registers: [registry],
    collect() { this.reset(); this.inc(sumStats().readings); } });
  new Counter({ name: 'cityhub_readings_rejected_total', help: 'Readings dead-lettered, by reason.', labelNames: ['reason'], registers: [registry],
    collect() { this.reset(); for (const [r, n] of sumStats().rejected) this.inc({ reason: r }, n); } });
  new Counter({ name: 'cityhub_dead_letters_over_budget_total', help: 'Dead letters counted but not stored: their device was over its dead-letter bytes a minute.', registers: [registry],
    collect() { this.reset(); this.inc(src?.ingest.deadLetterBudget.overBudget ?? 0); } });
  new Counter({ name: 'cityhub_device_seq_gaps_total', help: 'Sequence numbers skipped by devices: readings lost before the hub.', registers: [registry],
    collect() { this.reset(); this.inc(sumStats().gaps); } });
  new Counter({ name: 'cityhub_device_seq_repeats_total', help: 'Readings whose seq was not above the highest seen (re-deliveries, late flushes).', registers: [registry],
    collect() { this.reset(); this.inc(sumStats().repeats); } });
  new Gauge({ name: 'cityhub_spool_backlog_bytes', help: 'Spooled bytes not yet confirmed by the store.', registers: [registry],
    collect() { this.set(src?.ingest.spool.backlogBytes() ?? 0); } });
  new Gauge({ name: 'cityhub_spool_full', help: '1 while the spool is at its cap and the hub holds back acknowledgements.', registers: [registry],
    collect() { this.set(src?.ingest.spool.isFull() ? 1 : 0); } });
  new Counter({ name: 'cityhub_spool_corrupt_records_total', help: 'Spool records that failed their checksum (or did not decode) and were skipped.', registers: [registry],
    collect() { this.reset(); this.inc((src?.ingest.spool.counters.corruptFrames ?? 0) + (src?.ingest.writer.stats.badRecords ?? 0)); } });
  new Counter({ name: 'cityhub_spool_write_failures_total', help: 'Spool writes that failed (full disk, I/O error) and were cut back; their readings were not acknowledged.', registers: [registry],
    collect() { this.reset(); this.inc(src?.ingest.spool.counters.writeFailures ?? 0); } });
  new Gauge({ name: 'cityhub_spool_writer_stalled', help: '1 while readings wait in the spool and the writer stores none (see /readyz).', registers: [registry],
    collect() { this.set(src?.ingest.writer.stalled() ? 1 : 0); } });
  new Gauge({ name: 'cityhub_spool_cap_bytes', help: 'The spool cap: at it the hub holds back acknowledgements.', registers: [registry],
    collect() { this.set(src?.spoolCapBytes ?? 0); } });
  new Gauge({ name: 'cityhub_devices', help: 'Devices by status (online, offline, unknown).', labelNames: ['status'], registers: [registry],
    collect() {
      this.reset();
      const n = { online: 0, offline: 0, unknown: 0 };
      for (const [, s] of src?.ingest.stats.entries() ?? []) n[s.status]++;
      for (const [status, v] of Object.entries(n)) this.set({ status }, v);
    } });
  new Gauge({ name: 'cityhub_alert_deliveries_recent', help: 'Alert notification deliveries updated in the last hour, by status.', labelNames: ['status'], registers: [registry],
    collect() {
      this.reset();
      const n: Record<string, number> = { pending: 0, delivered: 0, failed: 0 };
      for (const d of src?.deliveries?.() ?? []) if (d.updated > Date.now() - 3_600_000) n[d.status] = (n[d.status] ?? 0) + 1;
      for (const [status, v] of Object.entries(n)) this.set({ status }, v);
    } });
  new Counter({ name: 'cityhub_spool_fsyncs_total', help: 'Group commits of the spool (one synchronous O_DSYNC write each).', registers: [registry],
    collect() { this.reset(); this.inc(src?.ingest.spool.counters.fsyncs ?? 0); } });
  new Counter({ name: 'cityhub_spool_naps_total', help: 'Lone readings\' commit delays spent asleep rather than on a timer (CITYHUB_SPOOL_NAP).', registers: [registry],
    collect() { this.reset(); this.inc(src?.ingest.spool.counters.naps ?? 0); } });
  operationMetrics(registry, () => ({ writerLagMs: () => src?.ingest.writer.lagMs() ?? 0, ...src, live: () => liveStats?.() ?? noLive }));
  const live = new Gauge({ name: 'cityhub_live_clients', help: 'Open /api/v1/live WebSockets.', registers: [registry] });
  const http = new Histogram({ name: 'cityhub_http_request_seconds', help: 'HTTP request duration by route pattern.', labelNames: ['route', 'method', 'status'], registers: [registry],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });

  return {
    registry,
    storeWrite: storeMetrics(registry, () => src),
    attach: (s) => { src = s; },
    api: {
      render: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
      httpRequest: (route, method, status, seconds) => http.observe({ route: routeLabel(route), method, status: String(status) }, seconds),
      liveClients: (d) => live.inc(d),
      liveStats: (read) => { liveStats = read; },
    },
  };
}

/** The writer's metrics (readings stored, failures, transactions, write time, acknowledged-to-queryable delay); returns what the writer reports each round to. */
function storeMetrics(registry: Registry, src: () => MetricSources | undefined): Metrics['storeWrite'] {
  const stats = () => src()?.ingest.writer.stats;
  new Counter({ name: 'cityhub_store_points_written_total', help: 'Readings the store confirmed.', registers: [registry],
    collect() { this.reset(); this.inc(stats()?.pointsWritten ?? 0); } });
  new Counter({ name: 'cityhub_store_write_failures_total', help: 'Store writes that failed and were retried.', registers: [registry],
    collect() { this.reset(); this.inc(stats()?.failures ?? 0); } });
  new Counter({ name: 'cityhub_store_write_transactions_total', help: 'Store write transactions of readings (one per writer round, more while a backlog drains).', registers: [registry],
    collect() { this.reset(); this.inc(stats()?.transactions ?? 0); } });
  const writeLatency = new Histogram({ name: 'cityhub_store_write_seconds', help: 'Duration of a confirmed store write (one writer round).', registers: [registry],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });
  const queryableDelay = new Histogram({ name: 'cityhub_store_queryable_delay_seconds',
    help: 'Of each writer round, how long its oldest reading waited between its acknowledgement and being queryable.', registers: [registry],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30, 60] });
  return (seconds, _points, delay) => {
    writeLatency.observe(seconds);
    if (delay !== null) queryableDelay.observe(delay);
  };
}
