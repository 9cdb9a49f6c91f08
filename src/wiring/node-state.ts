import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { openRules, type PartLogger, type RuleFile } from '@cityhub/alerts';
import type { Config } from '@cityhub/contracts';
import { openRegistry, People, TokenStore, type FileRegistry } from '@cityhub/devices';
import type { Store } from '@cityhub/store';
import type { Logger } from '../ops/logger.js';
import { createMetrics, type Metrics } from '../ops/metrics.js';
import { Stops } from './stops.js';
import { openStore } from './store.js';

/** The deployment modes: `cityhub start`, and the nodes of a split deployment. */
export type NodeRole = 'start' | 'broker' | 'api' | 'ingest';

/** How long after a write a broker node rebuilds its rollup buckets once more, in ms (see RollupSettler in the store). */
const ROLLUP_SETTLE_MS = 5_000;

/**
 * What each mode shares with other processes. `sharedStore`: other processes write the same store, so the
 * embedded DuckDB (one process per file) is refused. `sharedState`: the registry, tokens and rules are in
 * Redis when `CITYHUB_REDIS_URL` is set (`cityhub start` keeps them in its data directory). `settleMs`: other
 * nodes write the same InfluxDB, so rollups touched by a device that moved between nodes are rebuilt once
 * more a few seconds later. `serves`: it serves the API, so people sign in to it.
 */
const ROLES: Record<NodeRole, { sharedStore: boolean; sharedState: boolean; settleMs?: number; serves?: true }> = {
  start: { sharedStore: false, sharedState: false, serves: true },
  broker: { sharedStore: true, sharedState: true, settleMs: ROLLUP_SETTLE_MS },
  api: { sharedStore: true, sharedState: true, serves: true },
  ingest: { sharedStore: false, sharedState: true },
};

/** What every mode opens first: the registry, tokens, people, rules, store and metrics. */
export interface NodeState {
  dataDir: string;
  stops: Stops;
  registry: FileRegistry;
  tokens: TokenStore;
  /** People who sign in: accounts, sessions, lockouts and the audit log (the modes that serve the API). */
  people?: People;
  rules: RuleFile;
  store: Store;
  metrics: Metrics;
  /** Loggers named by part, for the workspaces that take a plain logger. */
  part: PartLogger;
}

/**
 * Opens the state every mode starts from: the registry, tokens and rules (in Redis with `CITYHUB_REDIS_URL`
 * where the mode shares them, else files in the data directory), the store, and the metrics. Everything
 * opened is in `stops`; on a failure what was opened is closed before the error is thrown.
 */
export async function openNodeState(config: Config, log: Logger, role: NodeRole): Promise<NodeState> {
  const mode = ROLES[role];
  if (mode.sharedStore && config.CITYHUB_STORE !== 'influxdb') {
    throw new Error(`cityhub ${role} shares its store with other processes: set CITYHUB_STORE=influxdb (the embedded DuckDB admits one process; use cityhub start)`);
  }
  const dataDir = resolve(config.CITYHUB_DATA_DIR);
  await mkdir(dataDir, { recursive: true });
  const stops = new Stops(log);
  const part: PartLogger = (name) => log.child({ name });
  try {
    const redisUrl = mode.sharedState ? config.CITYHUB_REDIS_URL : undefined;
    const shared = { dataDir, ...(redisUrl && { redisUrl }) };
    const registry = await openRegistry(dataDir, {
      syntheticAssets: config.CITYHUB_SYNTHETIC_ASSETS, secretKey: config.CITYHUB_DEVICE_SECRET_KEY, logger: part('registry'), ...shared,
    });
    stops.push('registry', () => registry.close());
    const tokens = await TokenStore.open(dataDir, { ...shared, logger: part('tokens') });
    stops.push('tokens', () => tokens.close());
    const people = mode.serves ? await People.open({ ...shared, logger: part('people') }, {
      idleMs: config.CITYHUB_SESSION_IDLE_MIN * 60_000, maxMs: config.CITYHUB_SESSION_MAX_H * 3_600_000,
    }) : undefined;
    if (people) stops.push('people', () => people.close());
    const rules = await openRules(shared, part('rules'));
    stops.push('rules', () => rules.close());
    const store = await openStore(config, dataDir, mode.settleMs ? { settleMs: mode.settleMs } : {});
    stops.push('store', () => store.close());
    return { dataDir, stops, registry, tokens, ...(people && { people }), rules: rules.file, store, metrics: createMetrics(), part };
  } catch (err) {
    await stops.run();
    throw err;
  }
}
