import type { Config, DeviceRegistry } from '@cityhub/contracts';
import { Ingest } from '@cityhub/ingest';
import type { Store } from '@cityhub/store';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import { startRetention } from '../ops/retention.js';
import type { Stops } from './stops.js';
import { moveWhenBehind } from './store.js';

/**
 * Opens the spool and writer on `store`, and (unless `retention` is false) the retention job; each is
 * registered in `stops`.
 */
export async function openIngest(o: {
  config: Config; dataDir: string; store: Store; registry: DeviceRegistry; log: Logger; stops: Stops;
  metrics: Metrics; retention?: boolean;
  /** How the acknowledging thread may sleep through a lone message's commit delay (see `Naps`). */
  nap?: (ms: number) => boolean;
  /** While true, a store that would move off the acknowledging thread waits (see `loginStorm`). */
  holdMove?: () => boolean;
}): Promise<Ingest> {
  const { config, dataDir, store, registry, log, stops } = o;
  const onBehind = moveWhenBehind(store, o.holdMove);
  const ingest = await Ingest.open({
    store, registry, dataDir, logger: log.child({ name: 'ingest' }),
    maxAgeMs: config.CITYHUB_RETENTION_RAW_DAYS * 86_400_000,
    spoolCapBytes: config.CITYHUB_SPOOL_CAP_MB * 1024 * 1024, spoolSegmentBytes: Math.round(config.CITYHUB_SPOOL_SEGMENT_MB * 1024 * 1024),
    spoolCommitDelayMs: config.CITYHUB_SPOOL_COMMIT_DELAY_MS,
    ...(o.nap && { spoolNap: o.nap }),
    writer: {
      onWrite: o.metrics.storeWrite, stallMs: config.CITYHUB_WRITER_STALL_S * 1000,
      intervalMs: config.CITYHUB_WRITE_INTERVAL_MS, batchPoints: config.CITYHUB_WRITE_BATCH_POINTS,
      ...(onBehind && { onBehind }),
    },
  });
  ingest.start();
  stops.push('ingest', () => ingest.close());
  if (o.retention !== false) stops.push('retention', startRetention(store, config, log.child({ name: 'retention' })));
  return ingest;
}

/** Readiness of a node's ingest: the store is open and takes writes, the writer makes progress, the spool has room. */
export function ingestReadiness(ingest: Ingest): Record<'store' | 'spool' | 'writer', { ok: boolean; detail?: string }> {
  return {
    ...ingest.writer.health(),
    spool: ingest.spool.health(),
  };
}
