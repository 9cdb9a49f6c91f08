import { silentLogger, type Logger } from '@cityhub/contracts';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { RedisDocument, type RedisDocumentOptions } from '../src/redis-doc.js';
import { startRedis, type RedisServer } from './redis-server.js';

/** A private redis-server for one test file: see {@link useRedisBed}. */
export interface RedisBed {
  server: RedisServer;
  /** A connection for the test's own reads and writes; it lives through restarts of the server. */
  admin: Redis;
  /** What the documents opened with `logger` warned, since the test began. */
  warnings: unknown[][];
  logger: Logger;
  /** Run after each test: what the test opened. */
  closers: Array<() => Promise<void>>;
  /** A RedisDocument on the server, logging to `logger`, closed after the test. */
  open: (name?: string, opts?: RedisDocumentOptions) => Promise<RedisDocument>;
}

/**
 * Registers the hooks of a test file on Redis: a private redis-server for the file, emptied before each
 * test, and what each test opened closed after it.
 */
export function useRedisBed(): RedisBed {
  const warnings: unknown[][] = [];
  const bed: RedisBed = {
    server: undefined as unknown as RedisServer,
    admin: undefined as unknown as Redis,
    warnings,
    logger: { ...silentLogger, warn: (...a: unknown[]) => { warnings.push(a); } },
    closers: [],
    open: async (name = 'devices', opts = {}) => {
      const d = await RedisDocument.open(bed.server.url, name, { logger: bed.logger, ...opts });
      bed.closers.push(() => d.close());
      return d;
    },
  };
  beforeAll(async () => {
    bed.server = await startRedis();
    bed.admin = new Redis(bed.server.url);
    // The admin connection lives through the restarts of the tests.
    bed.admin.on('error', () => undefined);
  });
  afterAll(async () => {
    bed.admin.disconnect();
    await bed.server.stop();
  });
  beforeEach(async () => {
    warnings.length = 0;
    await bed.admin.flushall();
  });
  afterEach(async () => {
    await Promise.all(bed.closers.splice(0).map((c) => c()));
  });
  return bed;
}
