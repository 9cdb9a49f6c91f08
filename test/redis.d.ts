/** A running private redis-server. */
export interface RedisServer {
    /** `redis://127.0.0.1:<port>` */
    url: string;
    port: number;
    /** Stops the server (SIGTERM, waits for it) and removes its directory. */
    stop(): Promise<void>;
    /** Kills the server at once (SIGKILL), as a crash would; `restart` brings it back. */
    kill(): void;
    /** Stops the server if it runs and starts it again on the same port. It keeps no data (`--save ''`). */
    restart(): Promise<void>;
}
/** The name test/scale.test.ts imports. */
export type Redis = RedisServer;
/**
 * Starts redis-server on a free loopback port: `--bind 127.0.0.1`, a temporary `--dir`, no snapshots
 * (`--save ''`), no append-only file. Resolves once it answers PING.
 */
export declare function startRedis(): Promise<RedisServer>;
//# sourceMappingURL=redis.d.ts.map