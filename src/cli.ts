import { parseConfig, ConfigError } from '@cityhub/contracts';
import { devicesCommand, tokensCommand } from '@cityhub/devices';
import { simulateCommand } from '@cityhub/simulator';
import { startApiNode } from './nodes/api-node.js';
import { startBrokerNode } from './nodes/broker-node.js';
import { startHub } from './nodes/hub.js';
import { startIngestNode } from './nodes/ingest-node.js';
import { createLogger } from './ops/logger.js';

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
  cityhub tokens add --role operator|admin [--name N] [--json]
                                    create an API token for the protected routes (shown only once)
  cityhub tokens list | revoke ID   list or revoke API tokens
  cityhub --help                    this text

Configuration is read from the environment (see README.md, "Configuration"):
  CITYHUB_DATA_DIR (./.data)  CITYHUB_HTTP_HOST/PORT (127.0.0.1/8080)  CITYHUB_MQTT_HOST/PORT (127.0.0.1/1883)
  CITYHUB_STORE (duckdb)  CITYHUB_SIMULATE (one device per asset; 0 = off)  CITYHUB_SIMULATE_INTERVAL_MS (5000)
  CITYHUB_RETENTION_RAW_DAYS (30)  CITYHUB_RETENTION_1M_DAYS (90)  CITYHUB_RETENTION_15M_DAYS (730)
  CITYHUB_RETENTION_1H_DAYS (forever)  CITYHUB_SPOOL_CAP_MB (1024)  CITYHUB_PUBLIC_READ (true)
  CITYHUB_SYNTHETIC_ASSETS (0)  CITYHUB_TLS_CERT/KEY  CITYHUB_MQTT_WS_PORT  CITYHUB_LOG_LEVEL (info)
  CITYHUB_REDIS_URL  CITYHUB_NODE_SECRET  CITYHUB_BROKER_URL  INFLUX_URL/TOKEN/ORG/BUCKET
  … and more: see README.md.
`;

/** The commands `cityhub` knows (deployment files are checked against this list). */
export const COMMANDS = ['start', 'broker', 'api', 'ingest', 'devices', 'tokens'] as const;

const out = { log: (s: string) => console.log(s), error: (s: string) => console.error(s) };

/** The `cityhub` command. Resolves with an exit code; `start` resolves only when the hub has stopped. */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(HELP);
    return cmd ? 0 : 2;
  }
  let config;
  try {
    config = parseConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  // With several nodes, the registry and tokens live in Redis: the CLI changes them there.
  const redis = config.CITYHUB_REDIS_URL ? { redisUrl: config.CITYHUB_REDIS_URL } : {};
  const secretKey = config.CITYHUB_DEVICE_SECRET_KEY;
  switch (cmd) {
    case 'start':
      return start(config);
    case 'broker':
      return runUntilSignal(config, async (log) => {
        const node = await startBrokerNode(config, log);
        console.log(`City Hub broker node is running.\n  MQTT:    ${[node.mqttUrl, ...node.mqttExtra].join('  ')}\n  HTTP:    ${node.httpUrl}  (/healthz, /readyz, /metrics)\nPress Ctrl+C to stop.`);
        return () => node.stop();
      });
    case 'api':
      return runUntilSignal(config, async (log) => {
        const node = await startApiNode(config, log);
        console.log(`City Hub API node is running.\n  Dashboard:  ${node.httpUrl}/\n  API:        ${node.httpUrl}/api/v1/assets\nPress Ctrl+C to stop.`);
        return () => node.stop();
      });
    case 'ingest':
      return runUntilSignal(config, async (log) => {
        const node = await startIngestNode(config, log);
        console.log(`City Hub ingest is running: ${node.connections} connection(s) to ${config.CITYHUB_INGEST_MQTT_URL ?? `mqtt://${config.CITYHUB_MQTT_HOST}:${config.CITYHUB_MQTT_PORT}`}. Press Ctrl+C to stop.`);
        return () => node.stop();
      });
    case 'devices':
      if (rest[0] === 'simulate') {
        return simulateCommand(rest.slice(1), {
          dataDir: config.CITYHUB_DATA_DIR, mqttHost: config.CITYHUB_MQTT_HOST, mqttPort: config.CITYHUB_MQTT_PORT,
          syntheticAssets: config.CITYHUB_SYNTHETIC_ASSETS, intervalMs: config.CITYHUB_SIMULATE_INTERVAL_MS, retentionDays: config.CITYHUB_RETENTION_RAW_DAYS,
          zone: config.CITYHUB_TZ, secretKey,
          ...redis,
        }, out);
      }
      return devicesCommand(rest, { dataDir: config.CITYHUB_DATA_DIR, syntheticAssets: config.CITYHUB_SYNTHETIC_ASSETS, secretKey, ...redis }, out);
    case 'tokens':
      return tokensCommand(rest, { dataDir: config.CITYHUB_DATA_DIR, ...redis }, out);
    default:
      console.error(`cityhub: unknown command "${cmd}"\n\n${HELP}`);
      return 2;
  }
}

async function start(config: ReturnType<typeof parseConfig>): Promise<number> {
  return runUntilSignal(config, async (log) => {
    const hub = await startHub(config, log);
    console.log(`\nCity Hub is running.\n  Dashboard:  ${hub.httpUrl}/\n  API:        ${hub.httpUrl}/api/v1/assets\n  MQTT:       ${[hub.mqttUrl, ...hub.mqttExtra].join('  ')}\n  Data:       ${hub.dataDir}\nPress Ctrl+C to stop.\n`);
    return () => hub.stop();
  });
}

/** Runs a long-lived command until SIGINT or SIGTERM, then its stop function; exit status 0 after a clean stop. */
async function runUntilSignal(config: ReturnType<typeof parseConfig>, run: (log: ReturnType<typeof createLogger>) => Promise<() => Promise<void>>): Promise<number> {
  const log = createLogger(config);
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
  const stop = await run(log);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (sig: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal: sig }, 'stopping');
      stop().then(() => resolve(0), (err: unknown) => {
        log.error({ err }, 'stop failed');
        resolve(1);
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
