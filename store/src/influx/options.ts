/** Options of the InfluxDB store. */
export interface InfluxStoreOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:8086`. */
  url: string;
  /** API token (2.x, 3.x; on 1.8 with authentication, `user:password`). Sent as `Authorization: Token …`. */
  token?: string;
  /** 1.x user, sent with `password` as HTTP basic auth (ignored when a token is given). */
  username?: string;
  password?: string;
  /** Organisation, for `/api/v2/write` on 2.x (1.8 ignores it). */
  org?: string;
  /**
   * Where the data goes: the 2.x/3.x bucket, or on 1.x `database` or `database/retention-policy`. On 2.x
   * queries go through the v1 API, which finds the bucket through a DBRP mapping of this name (README).
   */
  bucket: string;
  /** Most lines per write request (default 10,000); a larger write call sends several, one after another. */
  batchSize?: number;
  /** Gzip write bodies (default false: on loopback it costs more CPU than it saves). */
  gzip?: boolean;
  /** Timeout of each request in ms (default 30,000). A timeout is STORE_UNAVAILABLE. */
  timeoutMs?: number;
  /**
   * When several processes write this InfluxDB, rebuild the rollup buckets a write touched once more this
   * many ms later (see `RollupSettler`); 0, the default, for a single writer.
   */
  settleMs?: number;
}
