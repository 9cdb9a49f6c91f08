import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadBoundary, loadCatalogue } from '@cityhub/contracts/catalogue';
import { silentLogger } from '@cityhub/contracts';
import { openRegistry, TokenStore, type FileRegistry } from '@cityhub/devices';
import { Ingest } from '@cityhub/ingest';
import { createDuckDbStore, type Store } from '@cityhub/store';
import { buildApp } from '../src/app.js';
import type { ApiDeps } from '../src/deps.js';

const quiet = silentLogger;

/** The API on real parts: a DuckDB store, the file registry, the token store and ingest with its spool. */
export interface Harness {
  dir: string;
  store: Store;
  registry: FileRegistry;
  ingest: Ingest;
  tokens: TokenStore;
  operator: string;
  admin: string;
  app: FastifyInstance;
  deps: ApiDeps;
  close(): Promise<void>;
}

/**
 * Opens every part in a fresh temporary directory and builds the app on them; `extra` overrides ApiDeps.
 * The store lives in memory when `memoryStore` is set (bulk test data writes several times faster).
 */
export async function openHarness(extra: Partial<ApiDeps> = {}, opts: { memoryStore?: boolean } = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'cityhub-api-'));
  const store = createDuckDbStore({ path: opts.memoryStore ? ':memory:' : join(dir, 'store.duckdb') });
  await store.init();
  const registry = await openRegistry(dir);
  const tokens = await TokenStore.open(dir);
  const operator = (await tokens.add('operator')).token;
  const admin = (await tokens.add('admin')).token;
  const ingest = await Ingest.open({ store, registry, dataDir: dir, logger: quiet, writer: { intervalMs: 5 } });
  ingest.start();
  const deps: ApiDeps = {
    store, catalogue: loadCatalogue(), boundary: loadBoundary(), live: ingest, auth: tokens, registry,
    deviceStats: (id) => ingest.stats.peek(id), replay: (l) => ingest.replay(l), rateLimitPerMin: 0, ...extra,
  };
  const app = await buildApp(deps);
  return {
    dir, store, registry, ingest, tokens, operator, admin, app, deps,
    async close() {
      await app.close();
      await ingest.close();
      await registry.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The `{ error }` of an answer. */
export const errorOf = (r: { json<T>(): T }) => r.json<{ error: { code: string; message: string } }>().error;
