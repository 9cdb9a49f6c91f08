import { z } from 'zod';
import { DEFAULT_CITY_TZ, isTimeZone } from './city-time.js';

const port = z.coerce.number().int().min(0).max(65_535);
const host = z.string().min(1);
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/**
 * How long a lone message waits by default for others' before the spool write that acknowledges it. Each write
 * costs the hub about half a millisecond of CPU (the O_DSYNC write, the thread pool's wake-ups, the event loop's);
 * the 212-device city (42 readings/s) took 42.4 writes/s and 5.4–5.7 % of a core without waiting, 15.3–15.6 writes/s
 * and 4.0–4.6 % with 50 ms, 8.9 writes/s and 3.9–4.6 % with 100 ms (`npm run bench -- --steps city`). Those were
 * separate runs, whose drift hid the rest: in one hub, alternating 40 s windows of 50 and 150 ms, six pairs, the city took 5.04 % and 4.17 % of a core. A lone reading's PUBACK then
 * waits up to 150 ms, which a device sending every few seconds does not notice.
 */
export const SPOOL_COMMIT_DELAY_MS = 150;

/**
 * The hub's configuration, from the environment. Every variable is documented in the README; `parseConfig`
 * reports every problem at once, before any socket opens.
 */
export const Config = z
  .object({
    CITYHUB_DATA_DIR: z.string().min(1).default('./.data'),
    /** The city's IANA time zone: local days, hours of the week, nights and KPI periods are in it. */
    CITYHUB_TZ: z.string().refine(isTimeZone, 'an IANA time zone such as Europe/Athens').default(DEFAULT_CITY_TZ),
    CITYHUB_HTTP_HOST: host.default('127.0.0.1'),
    CITYHUB_HTTP_PORT: port.default(8080),
    CITYHUB_MQTT_HOST: host.default('127.0.0.1'),
    CITYHUB_MQTT_PORT: port.default(1883),
    CITYHUB_STORE: z.enum(['duckdb', 'influxdb']).default('duckdb'),
    INFLUX_URL: z.url().optional(),
    INFLUX_TOKEN: z.string().optional(),
    /**
     * A file holding the token instead (read once at start, surrounding white space ignored): a Docker secret, or
     * the bucket-scoped token docker-compose.yml makes on InfluxDB's first start.
     */
    INFLUX_TOKEN_FILE: z.string().min(1).optional(),
    INFLUX_ORG: z.string().optional(),
    INFLUX_BUCKET: z.string().optional(),
    /** InfluxDB 1.x user and password (instead of a token). */
    INFLUX_USERNAME: z.string().optional(),
    INFLUX_PASSWORD: z.string().optional(),
    /** Simulated devices: a count, 0 = off; unset = one per catalogue asset (`cityhub start`). */
    CITYHUB_SIMULATE: z.coerce.number().int().min(0).max(100_000).optional(),
    /** Extra synthetic assets (copies of real geometry, marked synthetic) for fleets larger than the city. */
    CITYHUB_SYNTHETIC_ASSETS: z.coerce.number().int().min(0).max(100_000).default(0),
    /** `cityhub start`: days of simulated history published when the fleet is first provisioned (0 = none). */
    CITYHUB_BACKFILL_DAYS: z.coerce.number().min(0).max(30).default(14),
    /** How often each simulated device publishes, in milliseconds. */
    CITYHUB_SIMULATE_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(5_000),
    /**
     * Several broker nodes: the Redis server (redis://host:port) they share subscriptions, retained messages
     * and sessions through; the device registry, API tokens and alert rules live there too, so every node and
     * the CLI see the same ones.
     */
    CITYHUB_REDIS_URL: z.string().regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL').optional(),
    /**
     * A secret the hub's own processes share (at least 16 characters): an MQTT client with the user name
     * `cityhub-node` and this password may subscribe to every reading and alert (never publish). `cityhub api`
     * takes its live feed this way.
     */
    CITYHUB_NODE_SECRET: z.string().min(16, 'at least 16 characters').optional(),
    /**
     * The key device secrets are hashed with (HMAC-SHA-256, at least 32 characters), the same on every node
     * that shares a registry in Redis; unset, `<data dir>/device-secrets.key` (made on first use).
     */
    CITYHUB_DEVICE_SECRET_KEY: z.string().min(32, 'at least 32 characters').optional(),
    /** `cityhub api`: the broker (or load balancer) it takes the live feed from; default the hub's MQTT address. */
    CITYHUB_BROKER_URL: z.string().regex(/^mqtts?:\/\//, 'an mqtt:// or mqtts:// URL').optional(),
    /** Broker limits. */
    CITYHUB_MQTT_MAX_PACKET_BYTES: z.coerce.number().int().min(1_024).max(256 * 1024 * 1024).default(1024 * 1024),
    CITYHUB_MQTT_MAX_CONNECTIONS_PER_IP: z.coerce.number().int().min(1).max(1_000_000).default(20_000),
    /** Failed MQTT logins from one address before it backs off; 0 turns the per-address back-off off (behind a balancer). */
    CITYHUB_MQTT_AUTH_FAILURES_PER_IP: z.coerce.number().int().min(0).max(1_000_000).default(20),
    /** The longest back-off of a device id or an address after failed logins, in seconds. */
    CITYHUB_MQTT_AUTH_BACKOFF_MAX_S: z.coerce.number().int().min(1).max(86_400).default(60),
    CITYHUB_MQTT_PUBLISH_PER_SECOND: z.coerce.number().positive().max(1_000_000).default(50),
    CITYHUB_MQTT_PUBLISH_BURST: z.coerce.number().int().min(1).max(10_000_000).default(200),
    CITYHUB_MQTT_KEEPALIVE_MAX_S: z.coerce.number().int().min(10).max(65_535).default(1_200),
    /** TLS: with a certificate and key, MQTT is also served over TLS and the API over HTTPS. */
    CITYHUB_TLS_CERT: z.string().optional(),
    CITYHUB_TLS_KEY: z.string().optional(),
    CITYHUB_MQTTS_PORT: port.default(8883),
    /** MQTT over WebSocket (path /mqtt) for browser clients; off unless set (0 = any free port). */
    CITYHUB_MQTT_WS_PORT: port.optional(),
    /** Alert e-mail: the SMTP server (smtp://host:port, smtps://user:pass@host) and the sender. */
    CITYHUB_SMTP_URL: z.string().regex(/^smtps?:\/\//, 'an smtp:// or smtps:// URL').optional(),
    CITYHUB_ALERT_EMAIL_FROM: z.string().optional(),
    /** `cityhub ingest`: the broker to take readings from (default: the hub's own MQTT address). */
    CITYHUB_INGEST_MQTT_URL: z.string().regex(/^mqtts?:\/\//, 'an mqtt:// or mqtts:// URL').optional(),
    CITYHUB_INGEST_MQTT_USERNAME: z.string().optional(),
    CITYHUB_INGEST_MQTT_PASSWORD: z.string().optional(),
    CITYHUB_INGEST_CLIENT_ID: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default('cityhub-ingest'),
    /** Parallel connections on a shared subscription ($share/…), for brokers that support it. */
    CITYHUB_INGEST_CONNECTIONS: z.coerce.number().int().min(1).max(64).default(1),
    CITYHUB_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** The level of the one line each HTTP request writes (below CITYHUB_LOG_LEVEL: not written). */
    CITYHUB_LOG_REQUESTS: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('debug'),
    CITYHUB_PUBLIC_READ: bool.default(true),
    /** A MapLibre style URL for a basemap under the city layers (the offline style when unset). */
    CITYHUB_BASEMAP_STYLE: z.url().optional(),
    /** Origins allowed to call the API from a browser: a comma-separated list, or `*`; none by default. */
    CITYHUB_CORS_ORIGINS: z.string().optional(),
    /** Trust X-Forwarded-For from these proxies: `true`, or comma-separated addresses/CIDRs. */
    CITYHUB_TRUST_PROXY: z.string().optional(),
    /** Minutes a dashboard session lives without a request (fractions allowed). */
    CITYHUB_SESSION_IDLE_MIN: z.coerce.number().positive().max(7 * 24 * 60).default(30),
    /** Hours a dashboard session lives at most from its sign-in, however busy (fractions allowed). */
    CITYHUB_SESSION_MAX_H: z.coerce.number().positive().max(30 * 24).default(12),
    /**
     * OpenID Connect sign-in (off unless an issuer is set): the provider's issuer URL (discovery at
     * `<issuer>/.well-known/openid-configuration`), the hub's client id and secret there (or a file holding it).
     */
    CITYHUB_OIDC_ISSUER: z.url().optional(),
    CITYHUB_OIDC_CLIENT_ID: z.string().min(1).optional(),
    CITYHUB_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
    CITYHUB_OIDC_CLIENT_SECRET_FILE: z.string().min(1).optional(),
    /** Where the provider sends people back; default `<CITYHUB_PUBLIC_URL>/api/v1/session/oidc/callback`, else from the request's address. */
    CITYHUB_OIDC_REDIRECT_URL: z.url().optional(),
    /** The scopes asked for (space-separated; `openid` is always asked). */
    CITYHUB_OIDC_SCOPES: z.string().min(1).default('openid profile email'),
    /** The claim that holds a person's groups or roles (a dotted path such as `realm_access.roles` reaches into an object). */
    CITYHUB_OIDC_ROLE_CLAIM: z.string().min(1).default('groups'),
    /** Values of that claim that make an admin, and an operator (comma-separated). */
    CITYHUB_OIDC_ADMIN_VALUES: z.string().optional(),
    CITYHUB_OIDC_OPERATOR_VALUES: z.string().optional(),
    /** The role of everyone else: `viewer`, or `none` to refuse them. */
    CITYHUB_OIDC_DEFAULT_ROLE: z.enum(['viewer', 'none']).default('viewer'),
    /** The provider's name on the dashboard's button ("Sign in with …"). */
    CITYHUB_OIDC_NAME: z.string().min(1).max(64).default('single sign-on'),
    /** Most rows one export may stream (assets × buckets). */
    CITYHUB_EXPORT_MAX_ROWS: z.coerce.number().int().min(1).max(100_000_000).optional(),
    /** The licence open-data exports are published under (default CC BY 4.0). */
    CITYHUB_EXPORT_LICENCE: z.string().optional(),
    CITYHUB_EXPORT_LICENCE_URL: z.url().optional(),
    /** The hub's public address (https://hub.example.org), for the links of the DCAT-AP catalogue; default the address a request used. */
    CITYHUB_PUBLIC_URL: z.url().optional(),
    /** The DCAT-AP catalogue (/api/v1/catalog): its publisher, the publisher's web site and the contact point. */
    CITYHUB_CATALOG_PUBLISHER: z.string().min(1).default('Municipality of Thessaloniki'),
    CITYHUB_CATALOG_PUBLISHER_URL: z.url().optional(),
    CITYHUB_CATALOG_CONTACT_NAME: z.string().min(1).default('City Hub open data'),
    CITYHUB_CATALOG_CONTACT_EMAIL: z.email().optional(),
    /** Push the latest NGSI-LD entities to a context broker (its base URL, e.g. http://orion:1026); off when unset. */
    CITYHUB_NGSI_BROKER_URL: z.url().optional(),
    /** The NGSILD-Tenant the entities are pushed to (none by default). */
    CITYHUB_NGSI_TENANT: z.string().min(1).optional(),
    /** Seconds between two full pushes (changes are pushed as they come too). */
    CITYHUB_NGSI_PUSH_INTERVAL_S: z.coerce.number().int().min(1).max(86_400).default(60),
    /** Most assets whose change waits to be pushed; beyond it the oldest wait for the next full push. */
    CITYHUB_NGSI_PUSH_MAX_PENDING: z.coerce.number().int().min(1).max(1_000_000).default(5_000),
    /** The MQTT address devices should use, as published in /asyncapi.json (default: the listener's). */
    CITYHUB_MQTT_PUBLIC_URL: z.string().regex(/^(mqtts?|wss?):\/\//).optional(),
    /** Requests per minute per client address on the public read routes; 0 turns the limit off. */
    CITYHUB_RATE_LIMIT_PER_MIN: z.coerce.number().int().min(0).max(1_000_000).default(600),
    /** Live WebSocket clients (`/api/v1/live`) per node, anonymous or with a token. */
    CITYHUB_LIVE_MAX_CLIENTS: z.coerce.number().int().min(1).max(1_000_000).default(2_000),
    /** Live WebSocket clients per client address, anonymous or with a token. */
    CITYHUB_LIVE_MAX_CLIENTS_PER_IP: z.coerce.number().int().min(1).max(1_000_000).default(50),
    /** Bytes the live feed may hold unsent across all its clients, in MiB; beyond it the slowest are coalesced, then dropped. */
    CITYHUB_LIVE_MAX_BUFFERED_MB: z.coerce.number().int().min(1).max(65_536).default(64),
    /** Raw retention in days (readings older than this are refused and deleted). */
    CITYHUB_RETENTION_RAW_DAYS: z.coerce.number().positive().max(36_500).default(30),
    /** Retention of the 1 min, 15 min and 1 h rollups in days; the 1 h rollup is kept forever when unset. */
    CITYHUB_RETENTION_1M_DAYS: z.coerce.number().positive().max(36_500).default(90),
    CITYHUB_RETENTION_15M_DAYS: z.coerce.number().positive().max(36_500).default(730),
    CITYHUB_RETENTION_1H_DAYS: z.coerce.number().positive().max(36_500).optional(),
    /** Spool bytes not yet in the store at which the hub stops acknowledging readings, in MiB. */
    CITYHUB_SPOOL_CAP_MB: z.coerce.number().int().min(1).max(1_048_576).default(1024),
    /** Size at which the spool starts a new segment file, in MiB (fractions allowed: small segments for tests). */
    CITYHUB_SPOOL_SEGMENT_MB: z.coerce.number().min(0.01).max(1024).default(64),
    /**
     * Milliseconds a device's lone message (none from it in the last second) may wait for other devices' before the
     * spool write that acknowledges it (0 to 1,000; 0: at once). A device publishing back to back, or an array of
     * readings (a record over 4 KiB), never waits.
     */
    CITYHUB_SPOOL_COMMIT_DELAY_MS: z.coerce.number().int().min(0).max(1_000).default(SPOOL_COMMIT_DELAY_MS),
    /**
     * While no HTTP request is in flight or was answered in the last second, no WebSocket is open and no device
     * sends back to back, a lone message's wait is a sleep of the acknowledging thread rather than a timer: what
     * arrives meanwhile is read and written at once after it, so that a trickle wakes the hub once a delay.
     */
    CITYHUB_SPOOL_NAP: bool.default(true),
    /** Seconds with readings waiting in the spool and none stored before the writer counts as stalled (/readyz). */
    CITYHUB_WRITER_STALL_S: z.coerce.number().positive().max(86_400).default(30),
    /** Milliseconds between two rounds of store writes (0 to 60,000): one store transaction per round, whatever the device count. */
    CITYHUB_WRITE_INTERVAL_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
    /** Most readings in one store transaction; a bigger backlog is written in several, without waiting for the interval. */
    CITYHUB_WRITE_BATCH_POINTS: z.coerce.number().int().min(100).max(1_000_000).default(5_000),
    /** Threads of the embedded DuckDB (queries and writes); one keeps the writer's CPU low. */
    CITYHUB_DUCKDB_THREADS: z.coerce.number().int().min(1).max(256).default(1),
    /**
     * Memory DuckDB may use for its buffers, in MiB; beyond it, it spills to disk or refuses a query. Its buffers keep
     * the blocks each checkpoint wrote until the limit is reached, so the limit is what they settle at.
     */
    CITYHUB_DUCKDB_MEMORY_MB: z.coerce.number().int().min(64).max(1_048_576).default(64),
    /**
     * The embedded store on a thread of its own (off the thread that acknowledges readings; tens of MB more): `true`,
     * `false` (the calling thread), or `auto`: the calling thread until the writer falls behind, then its own thread.
     */
    CITYHUB_DUCKDB_OWN_THREAD: z.enum(['auto', 'true', 'false', '1', '0']).default('auto')
      .transform((v): boolean | 'auto' => (v === 'auto' ? 'auto' : v === 'true' || v === '1')),
  });
export type Config = z.infer<typeof Config>;

/** A configuration that failed validation; `problems` lists every one. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * Names in the hub's prefixes that are not its configuration yet are allowed: the test suite's own switches, and the
 * variables InfluxDB's `influx` CLI and images read (a city's shell or container may set them for InfluxDB itself).
 */
export const FOREIGN_VARIABLES: readonly string[] = [
  'CITYHUB_SOAK', 'CITYHUB_CRASH_TOTAL',
  'INFLUX_HOST', 'INFLUX_ORG_ID', 'INFLUX_CONFIGS_PATH', 'INFLUX_ACTIVE_CONFIG', 'INFLUX_ACTIVE_NAME', 'INFLUX_SKIP_VERIFY',
  'INFLUX_HTTP_DEBUG', 'INFLUX_CLI_CONFIG', 'INFLUX_DB', 'INFLUX_PRECISION', 'INFLUX_BUCKET_ID', 'INFLUX_ADMIN_TOKEN',
];

/** Secret values published as examples (in the README and compose files): a hub must never run with one. */
const EXAMPLE_SECRET = /change-?me/i;
const SECRET_VARIABLES = ['CITYHUB_NODE_SECRET', 'INFLUX_TOKEN', 'INFLUX_PASSWORD', 'CITYHUB_INGEST_MQTT_PASSWORD', 'CITYHUB_OIDC_CLIENT_SECRET'] as const;

/** The edit distance of two names (insertions, deletions, substitutions), for "did you mean". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length]!;
}

/** The configuration variable nearest to a misspelt name. */
export function nearestVariable(name: string): string {
  let best = CONFIG_VARIABLES[0]!;
  for (const v of CONFIG_VARIABLES) if (distance(name, v) < distance(name, best)) best = v;
  return best;
}

/** Problems with names and values no schema sees: misspelt variables, published example secrets. */
function namingProblems(env: Record<string, string | undefined>): string[] {
  const known = new Set([...CONFIG_VARIABLES, ...FOREIGN_VARIABLES]);
  const problems: string[] = [];
  for (const k of Object.keys(env).sort()) {
    if ((k.startsWith('CITYHUB_') || k.startsWith('INFLUX_')) && !known.has(k)) {
      problems.push(`${k}: not a configuration variable; did you mean ${nearestVariable(k)}?`);
    }
  }
  for (const k of SECRET_VARIABLES) {
    if (env[k] && EXAMPLE_SECRET.test(env[k])) problems.push(`${k}: this is the published example value; set a secret of your own`);
  }
  return problems;
}

/** Parses the environment into a Config, or throws a ConfigError naming every problem. */
export function parseConfig(env: Record<string, string | undefined> = process.env): Config {
  const relevant = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => (k.startsWith('CITYHUB_') || k.startsWith('INFLUX_')) && v !== ''),
  );
  const r = Config.safeParse(relevant);
  // Checks across variables run on the raw input too, so they are reported even when another variable failed.
  const problems = r.success ? [] : r.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`);
  problems.push(...namingProblems(relevant));
  // A coarser resolution is built from the finer one, so it must be kept at least as long.
  if (r.success) {
    const c = r.data;
    const chain: Array<[string, number | undefined]> = [
      ['CITYHUB_RETENTION_RAW_DAYS', c.CITYHUB_RETENTION_RAW_DAYS], ['CITYHUB_RETENTION_1M_DAYS', c.CITYHUB_RETENTION_1M_DAYS],
      ['CITYHUB_RETENTION_15M_DAYS', c.CITYHUB_RETENTION_15M_DAYS], ['CITYHUB_RETENTION_1H_DAYS', c.CITYHUB_RETENTION_1H_DAYS ?? Infinity],
    ];
    for (let i = 1; i < chain.length; i++) {
      const [fine, fineDays] = chain[i - 1]!;
      const [coarse, coarseDays] = chain[i]!;
      if ((coarseDays ?? Infinity) < (fineDays ?? 0)) problems.push(`${coarse}: must be at least ${fine} (${fineDays} days): coarser data is built from finer`);
    }
  }
  if (!relevant.CITYHUB_TLS_CERT !== !relevant.CITYHUB_TLS_KEY) problems.push('CITYHUB_TLS_CERT, CITYHUB_TLS_KEY: give both or neither');
  if (relevant.INFLUX_TOKEN && relevant.INFLUX_TOKEN_FILE) problems.push('INFLUX_TOKEN, INFLUX_TOKEN_FILE: give one or the other');
  if (relevant.CITYHUB_OIDC_CLIENT_SECRET && relevant.CITYHUB_OIDC_CLIENT_SECRET_FILE) problems.push('CITYHUB_OIDC_CLIENT_SECRET, CITYHUB_OIDC_CLIENT_SECRET_FILE: give one or the other');
  if (relevant.CITYHUB_OIDC_ISSUER && !relevant.CITYHUB_OIDC_CLIENT_ID) problems.push('CITYHUB_OIDC_CLIENT_ID: required with CITYHUB_OIDC_ISSUER');
  if (relevant.CITYHUB_STORE === 'influxdb') {
    for (const k of ['INFLUX_URL', 'INFLUX_BUCKET']) if (!relevant[k]) problems.push(`${k}: required when CITYHUB_STORE=influxdb`);
  }
  if (r.success && problems.length === 0) return r.data;
  throw new ConfigError(problems);
}

/** The names of every configuration variable, for checks of deployment files against the schema. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(Config.shape);
