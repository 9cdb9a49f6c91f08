import { Redis } from 'ioredis';
import MQEmitterRedis from 'mqemitter-redis';
import aedesPersistenceRedis from 'aedes-persistence-redis';
import type { Logger } from '../ops/logger.js';

/** What aedes takes to share subscriptions, retained messages, sessions and wills with the other nodes. */
export interface SharedBrokerState {
  aedes: { mq: unknown; persistence: unknown };
  /** True while the node's connections to Redis are up. */
  ok(): boolean;
  /** Ends the persistence and every connection (after the broker has closed). */
  close(): Promise<void>;
}

/**
 * aedes on Redis: `mqemitter-redis` carries every publish to the other nodes (a subscriber on one node
 * receives a device on another), `aedes-persistence-redis` keeps retained messages (device status), QoS 1
 * sessions of persistent clients and last wills, which a live node publishes for a node that died.
 */
export function sharedBrokerState(url: string, log: Logger): SharedBrokerState {
  const conns: Redis[] = [];
  const conn = () => {
    const c = new Redis(url, { maxRetriesPerRequest: null, enableAutoPipelining: true });
    // ioredis reconnects by itself; an outage must show in readiness and logs, not crash the node.
    c.on('error', (err: Error) => log.warn({ err: err.message }, 'redis connection error'));
    conns.push(c);
    return c;
  };
  const mq = MQEmitterRedis({ subConn: conn(), pubConn: conn() });
  const persistence = aedesPersistenceRedis({ conn: conn() });
  return {
    aedes: { mq, persistence },
    ok: () => conns.every((c) => c.status === 'ready'),
    async close() {
      await new Promise<void>((resolve) => {
        try {
          persistence.destroy(() => resolve());
        } catch {
          resolve();
        }
        // destroy's callback is not called on every path of every version: do not wait on it for long.
        setTimeout(resolve, 1_000).unref();
      });
      for (const c of conns) c.disconnect();
    },
  };
}
