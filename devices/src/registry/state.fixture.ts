// The shared-state test helpers (state/test/poll.ts, test/redis.ts) for this workspace's tests. They lie
// outside this workspace's TypeScript project (rootDir src), so they are loaded by URL at run time, and
// their shape is restated here for the type checker.

/** What test/redis.ts's `startRedis` resolves with. */
export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
  kill(): void;
  restart(): Promise<void>;
}

const load = <T>(path: string) => import(new URL(path, import.meta.url).href) as Promise<T>;
const poll = () => load<{ sleep(ms: number): Promise<void>; until(cond: () => boolean | Promise<boolean>, ms: number): Promise<number> }>('../../../state/test/poll.ts');

/** Starts a private redis-server on a free loopback port (see test/redis.ts). */
export async function startRedis(): Promise<RedisServer> {
  return (await load<{ startRedis(): Promise<RedisServer> }>('../../../test/redis.ts')).startRedis();
}

export const sleep = async (ms: number): Promise<void> => (await poll()).sleep(ms);

/** Polls `cond` until it holds; resolves with the time it took, or fails after `ms` (see state/test/poll.ts). */
export const until = async (cond: () => boolean | Promise<boolean>, ms: number): Promise<number> => (await poll()).until(cond, ms);
