import { join } from 'node:path';
import type { Config } from '@cityhub/contracts';
import { createDuckDbStore, createInfluxStore, createWorkerStore, reopening, type Store } from '@cityhub/store';
import { createLogger } from '../ops/logger.js';
import { secretOrFile } from './secrets.js';

/** The InfluxDB token: INFLUX_TOKEN, or the content of INFLUX_TOKEN_FILE (a ConfigError when it cannot be read or is empty). */
export function influxToken(config: Pick<Config, 'INFLUX_TOKEN' | 'INFLUX_TOKEN_FILE'>): string | undefined {
  return secretOrFile('INFLUX_TOKEN', config.INFLUX_TOKEN, config.INFLUX_TOKEN_FILE);
}

/**
 * The store the configuration names: the embedded DuckDB file in the data directory, or an InfluxDB server
 * (the choice for several processes: DuckDB allows one writer process per file).
 */
export async function openStore(config: Config, dataDir: string, opts: { settleMs?: number } = {}): Promise<Store> {
  const token = config.CITYHUB_STORE === 'influxdb' ? influxToken(config) : undefined;
  const store = config.CITYHUB_STORE === 'influxdb'
    ? createInfluxStore({
      url: config.INFLUX_URL!, bucket: config.INFLUX_BUCKET!,
      ...(token && { token }),
      ...(config.INFLUX_ORG && { org: config.INFLUX_ORG }),
      ...(config.INFLUX_USERNAME && { username: config.INFLUX_USERNAME }),
      ...(config.INFLUX_PASSWORD && { password: config.INFLUX_PASSWORD }),
      ...(opts.settleMs && { settleMs: opts.settleMs }),
    })
    : duckDbStore(config, dataDir);
  await store.init();
  return store;
}

/**
 * The embedded store: on the calling thread, or with CITYHUB_DUCKDB_OWN_THREAD on a thread of its own. Either way
 * a handle invalidated by a fatal error (a failed checkpoint on a full disk) is reopened without a restart.
 */
function duckDbStore(config: Config, dataDir: string): Store {
  const duckdb = { path: join(dataDir, 'cityhub.duckdb'), threads: config.CITYHUB_DUCKDB_THREADS, memoryLimitMb: config.CITYHUB_DUCKDB_MEMORY_MB };
  const logger = createLogger(config).child({ name: 'store' });
  return config.CITYHUB_DUCKDB_OWN_THREAD ? createWorkerStore({ duckdb, logger }) : reopening(() => createDuckDbStore(duckdb), { logger });
}

/** How many times the store was reopened (a DuckDB store reopens a dead handle; others never do). */
export function reopensOf(store: Store): () => number {
  const r = (store as Store & { reopens?: () => number }).reopens;
  return () => r?.call(store) ?? 0;
}
