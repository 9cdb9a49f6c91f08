import { join } from 'node:path';
import type { Config } from '@cityhub/contracts';
import { createDuckDbStore, createInfluxStore, createMovingStore, createWorkerStore, MOVED_YOUNG_GENERATION_MB, MovingStore, reopening, type Store, type StoreThread } from '@cityhub/store';
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
 * The embedded store: on the calling thread, on a thread of its own (CITYHUB_DUCKDB_OWN_THREAD=true), or, by default
 * (`auto`), on the calling thread until readings come fast or the writer falls behind (`moveWhenBehind`), then on its own. Either way a
 * handle invalidated by a fatal error (a failed checkpoint on a full disk) is reopened without a restart.
 */
function duckDbStore(config: Config, dataDir: string): Store {
  const duckdb = { path: join(dataDir, 'cityhub.duckdb'), threads: config.CITYHUB_DUCKDB_THREADS, memoryLimitMb: config.CITYHUB_DUCKDB_MEMORY_MB };
  const logger = createLogger(config).child({ name: 'store' });
  const here = () => reopening(() => createDuckDbStore(duckdb), { logger });
  const there = (youngGenerationMb?: number) => createWorkerStore({ duckdb, logger, ...(youngGenerationMb && { youngGenerationMb }) });
  if (config.CITYHUB_DUCKDB_OWN_THREAD === 'auto') {
    // Moved only under load: a young generation sized for its rounds rather than for the least memory.
    const store = createMovingStore({ here, there: () => there(MOVED_YOUNG_GENERATION_MB), logger, threadAtOnce: false });
    threads.set(store, () => store.where());
    return store;
  }
  const own = config.CITYHUB_DUCKDB_OWN_THREAD;
  const store = own ? there() : here();
  threads.set(store, () => (own ? 'own' : 'main'));
  return store;
}

/** Where each embedded store runs, for `/metrics`. */
const threads = new WeakMap<Store, () => StoreThread>();

/** 1 while the embedded store runs on a thread of its own, else 0 (`cityhub_store_own_thread`). */
export function ownThreadOf(store: Store): () => number {
  return () => (threads.get(store)?.() === 'own' ? 1 : 0);
}

/**
 * What the writer calls once it has fallen behind or is about to: a store that can move off the acknowledging thread
 * does, unless `hold` says to wait (then the writer asks again on fresh evidence).
 */
export function moveWhenBehind(store: Store, hold?: () => boolean): (() => boolean) | undefined {
  if (!(store instanceof MovingStore)) return undefined;
  return () => {
    if (hold?.()) return false;
    void store.moveToOwnThread();
    return true;
  };
}

/**
 * Device logins in a second at or above which a fleet is (re)connecting: a restarted hub's 10,000 devices come back
 * at 400–800 a second here, a city's devices one by one. While they do, the store stays where it is: the fleet's
 * buffered readings and the logins themselves look like a flood to the writer for a few seconds, and a store moved
 * then keeps its thread, and about 60 MB more, for the rest of the process (10,000 devices: 463 MB moved as the fleet
 * connected, against 398–400 MB where it was).
 */
export const STORM_LOGINS_PER_S = 100;
/**
 * How long a storm is held to last after its last second of `STORM_LOGINS_PER_S` logins (ms): a thread busy with
 * the logins and a round of writes counts none for a second or two at a time, and the writer asks right then.
 */
export const STORM_HOLD_MS = 5_000;
/**
 * The longest a storm holds the move (ms from its first second): a fleet that keeps logging in for longer (churn,
 * or logins as a flood of their own) no longer keeps a store that has fallen behind on the acknowledging thread.
 * 10,000 devices are back on a restarted hub in 14–22 s here.
 */
export const STORM_HOLD_MAX_MS = 60_000;

/**
 * Counts successful logins by whole second: `storm()` until `STORM_HOLD_MS` after a second that had
 * `STORM_LOGINS_PER_S`, and no longer than `STORM_HOLD_MAX_MS` after the storm began.
 */
export function loginStorm(now: () => number = Date.now): { login: () => void; storm: () => boolean } {
  let second = -1;
  let count = 0;
  let until = -Infinity;
  let began = -Infinity;
  return {
    login() {
      const t = now();
      const s = Math.floor(t / 1000);
      if (s !== second) {
        second = s;
        count = 0;
      }
      if (++count < STORM_LOGINS_PER_S) return;
      if (t >= until) began = t;
      until = Math.max(until, t + STORM_HOLD_MS);
    },
    storm() {
      const t = now();
      return t < until && t < began + STORM_HOLD_MAX_MS;
    },
  };
}

/** How many times the store was reopened (a DuckDB store reopens a dead handle; others never do). */
export function reopensOf(store: Store): () => number {
  const r = (store as Store & { reopens?: () => number }).reopens;
  return () => r?.call(store) ?? 0;
}
