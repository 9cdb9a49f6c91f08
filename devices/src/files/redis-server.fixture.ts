// The repository's redis-server helper (test/redis.ts) for this workspace's tests. It lies outside this
// workspace's TypeScript project (rootDir src), so it is loaded by URL at run time, and its shape is
// restated here for the type checker.

/** What test/redis.ts's `startRedis` resolves with. */
export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
  kill(): void;
  restart(): Promise<void>;
}

const helper = new URL('../../../test/redis.ts', import.meta.url).href;

/** Starts a private redis-server on a free loopback port (see test/redis.ts). */
export async function startRedis(): Promise<RedisServer> {
  const mod = (await import(helper)) as { startRedis(): Promise<RedisServer> };
  return mod.startRedis();
}
