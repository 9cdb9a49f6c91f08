import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Config } from '@cityhub/contracts';
import { openRegistry, TokenStore, type FileRegistry } from '@cityhub/devices';
import type { RuleFile } from '@cityhub/ingest';
import type { Store } from '@cityhub/store';
import type { Logger } from './logger.js';
import { createMetrics } from './metrics.js';
import { Stops } from './parts.js';
import { openRules } from './rules.js';
import { openStore } from './store.js';

/** What every node of a split deployment opens first: the shared registry, tokens, rules and store. */
export interface NodeState {
  dataDir: string;
  stops: Stops;
  registry: FileRegistry;
  tokens: TokenStore;
  rules: RuleFile;
  store: Store;
  metrics: ReturnType<typeof createMetrics>;
}

/**
 * Opens the state a split node shares with the others (Redis with `CITYHUB_REDIS_URL`, else files in its
 * data directory) and the InfluxDB store, refusing the embedded store, which one process holds alone.
 * Everything opened is in `stops`; on a failure what was opened is closed before the error is thrown.
 */
export async function openNodeState(config: Config, log: Logger, role: string, store: { settleMs?: number } = {}): Promise<NodeState> {
  if (config.CITYHUB_STORE !== 'influxdb') {
    throw new Error(`cityhub ${role} shares its store with other processes: set CITYHUB_STORE=influxdb (the embedded DuckDB admits one process; use cityhub start)`);
  }
  const dataDir = resolve(config.CITYHUB_DATA_DIR);
  await mkdir(dataDir, { recursive: true });
  const stops = new Stops(log);
  try {
    const shared = { dataDir, ...(config.CITYHUB_REDIS_URL && { redisUrl: config.CITYHUB_REDIS_URL }) };
    const registry = await openRegistry(dataDir, { syntheticAssets: config.CITYHUB_SYNTHETIC_ASSETS, logger: log.child({ name: 'registry' }), ...shared });
    stops.push('registry', () => registry.close());
    const tokens = await TokenStore.open(dataDir, { ...shared, logger: log.child({ name: 'tokens' }) });
    stops.push('tokens', () => tokens.close());
    const rules = await openRules(shared, log);
    stops.push('rules', () => rules.close());
    const opened = await openStore(config, dataDir, store);
    stops.push('store', () => opened.close());
    return { dataDir, stops, registry, tokens, rules: rules.file, store: opened, metrics: createMetrics() };
  } catch (err) {
    await stops.run();
    throw err;
  }
}
