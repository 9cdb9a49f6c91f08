/** aedes-persistence-redis ships no types: the part of its interface the hub uses. */
declare module 'aedes-persistence-redis' {
  import type { Redis, RedisOptions } from 'ioredis';
  interface Options extends RedisOptions {
    conn?: Redis;
    /** Offline messages delivered on a CONNECT at most (default 1000). */
    maxSessionDelivery?: number;
  }
  /** An aedes persistence on Redis; aedes types its `persistence` option as `any`. */
  export default function aedesPersistenceRedis(opts?: Options): { destroy(cb?: () => void): void };
}
