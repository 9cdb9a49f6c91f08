// The repository's redis-server helper for this workspace's tests.
export { startRedis, type RedisServer } from '../../test/redis.js';
