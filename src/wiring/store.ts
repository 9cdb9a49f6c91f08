import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type Config } from '@cityhub/contracts';
import { createDuckDbStore, createInfluxStore, reopening, type Store } from '@cityhub/store';
import { createLogger } from '../ops/logger.js';

/** The InfluxDB token: INFLUX_TOKEN, or the content of INFLUX_TOKEN_FILE (a ConfigError when it cannot be read or is empty). */
export function influxToken(config: Pick<Config, 'INFLUX_TOKEN' | 'INFLUX_TOKEN_FILE'>): string | undefined {
  const file = config.INFLUX_TOKEN_FILE;
  if (config.INFLUX_TOKEN || !file) return config.INFLUX_TOKEN;
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError([`INFLUX_TOKEN_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`]);
  }
  if (!token) throw new ConfigError([`INFLUX_TOKEN_FILE: ${file} is empty`]);
  return token;
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
    // A DuckDB handle invalidated by a fatal error (a failed checkpoint on a full disk) is reopened without a restart.
    : reopening(() => createDuckDbStore({
      path: join(dataDir, 'cityhub.duckdb'), threads: config.CITYHUB_DUCKDB_THREADS, memoryLimitMb: config.CITYHUB_DUCKDB_MEMORY_MB,
    }), { logger: createLogger(config).child({ name: 'store' }) });
  await store.init();
  return store;
}

/** How many times the store was reopened (a DuckDB store reopens a dead handle; others never do). */
export function reopensOf(store: Store): () => number {
  const r = (store as Store & { reopens?: () => number }).reopens;
  return () => r?.call(store) ?? 0;
}
