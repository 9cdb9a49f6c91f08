/** The usage text of `cityhub` and of each command. */
export { VERSION } from './ops/version.js';

export const HELP = `cityhub: the City Hub smart-city data hub

Usage:
  cityhub start                     broker, ingest, API + dashboard and the simulated fleet, in one process
  cityhub broker                    one broker node of a split deployment: MQTT, its own spool and writer to
                                    InfluxDB; shares state with other nodes through CITYHUB_REDIS_URL, and one
                                    node at a time runs the alert engine; /healthz, /readyz, /metrics on HTTP
  cityhub api                       the API and dashboard alone (stateless): reads InfluxDB, takes the live
                                    feed from the brokers (CITYHUB_BROKER_URL, CITYHUB_NODE_SECRET)
  cityhub ingest                    take readings from any MQTT broker (CITYHUB_INGEST_MQTT_URL) into the store
  cityhub devices add --kind K --asset A [--id ID] [--json]
                                    create a device; prints its id and secret (shown only once)
  cityhub devices list [--json]     list devices
  cityhub devices disable ID        refuse a device's connections and readings (enable ID undoes it)
  cityhub devices simulate [--count N] [--interval-ms MS] [--backfill-days D] [--mqtt URL]
                                    the simulated fleet as its own process, against any broker
  cityhub tokens add --role viewer|operator|admin [--name N] [--json]
                                    create an API token for the protected routes (shown only once)
  cityhub tokens list | revoke ID   list or revoke API tokens
  cityhub users add NAME --role viewer|operator|admin
                                    create a person who signs in to the dashboard; the password is read
                                    from standard input (no echo on a terminal), only its scrypt hash kept
  cityhub users list [--json] | disable NAME | enable NAME | passwd NAME
                                    list people, refuse or accept their sign-ins, set a new password
  cityhub COMMAND --help            a command's help (nothing is started)
  cityhub --version                 the version
  cityhub --help                    this text

Configuration is read from the environment (see README.md, "Configuration"):
  CITYHUB_DATA_DIR (./.data)  CITYHUB_HTTP_HOST/PORT (127.0.0.1/8080)  CITYHUB_MQTT_HOST/PORT (127.0.0.1/1883)
  CITYHUB_STORE (duckdb)  CITYHUB_SIMULATE (one device per asset; 0 = off)  CITYHUB_SIMULATE_INTERVAL_MS (5000)
  CITYHUB_RETENTION_RAW_DAYS (30)  CITYHUB_RETENTION_1M_DAYS (90)  CITYHUB_RETENTION_15M_DAYS (730)
  CITYHUB_RETENTION_1H_DAYS (forever)  CITYHUB_SPOOL_CAP_MB (1024)  CITYHUB_PUBLIC_READ (true)
  CITYHUB_SYNTHETIC_ASSETS (0)  CITYHUB_TLS_CERT/KEY  CITYHUB_MQTT_WS_PORT  CITYHUB_LOG_LEVEL (info)
  CITYHUB_REDIS_URL  CITYHUB_NODE_SECRET  CITYHUB_BROKER_URL  INFLUX_URL/TOKEN/ORG/BUCKET
  CITYHUB_SESSION_IDLE_MIN (30)  CITYHUB_SESSION_MAX_H (12)
  OpenID Connect sign-in (off unless CITYHUB_OIDC_ISSUER is set): CITYHUB_OIDC_ISSUER  CITYHUB_OIDC_CLIENT_ID
  CITYHUB_OIDC_CLIENT_SECRET (or _FILE)  CITYHUB_OIDC_REDIRECT_URL (CITYHUB_PUBLIC_URL/api/v1/session/oidc/callback)
  CITYHUB_OIDC_SCOPES (openid profile email)  CITYHUB_OIDC_ROLE_CLAIM (groups)  CITYHUB_OIDC_ADMIN_VALUES
  CITYHUB_OIDC_OPERATOR_VALUES  CITYHUB_OIDC_DEFAULT_ROLE (viewer; none refuses)  CITYHUB_OIDC_NAME (single sign-on)
  … and more: see README.md.
`;


const ENV = 'Configuration is read from the environment: see `cityhub --help` and README.md, "Configuration".';

/** The help of each long-running command: `cityhub start --help` prints it and starts nothing. */
export const COMMAND_HELP: Record<'start' | 'broker' | 'api' | 'ingest', string> = {
  start: `Usage: cityhub start

Runs the whole hub in one process: the MQTT broker, ingest (spool and writer), the API with the dashboard,
and the simulated city fleet (CITYHUB_SIMULATE=0 turns it off), on the embedded store in CITYHUB_DATA_DIR.
Stops cleanly on SIGINT or SIGTERM.

${ENV}`,
  broker: `Usage: cityhub broker

One broker node of a split deployment: MQTT, its own spool and writer to InfluxDB (CITYHUB_STORE=influxdb),
state shared with the other nodes through CITYHUB_REDIS_URL; one node at a time runs the alert engine.
/healthz, /readyz and /metrics on CITYHUB_HTTP_HOST:CITYHUB_HTTP_PORT.

${ENV}`,
  api: `Usage: cityhub api

The API and the dashboard alone (stateless): reads InfluxDB, takes the live feed from the broker nodes
(CITYHUB_BROKER_URL, as cityhub-node with CITYHUB_NODE_SECRET).

${ENV}`,
  ingest: `Usage: cityhub ingest

Takes readings from any MQTT broker (CITYHUB_INGEST_MQTT_URL, CITYHUB_INGEST_MQTT_USERNAME/PASSWORD,
CITYHUB_INGEST_CLIENT_ID, CITYHUB_INGEST_CONNECTIONS) into the store.

${ENV}`,
};
