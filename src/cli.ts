import './ops/quiet-debug.js';
import { parseConfig, ConfigError, type Config } from '@cityhub/contracts';
import { COMMAND_HELP, HELP, VERSION } from './cli-help.js';
import { createLogger } from './ops/logger.js';

export { HELP } from './cli-help.js';

/** The commands `cityhub` knows (deployment files are checked against this list). */
export const COMMANDS = ['start', 'broker', 'api', 'ingest', 'devices', 'tokens', 'users'] as const;

const out = { log: (s: string) => console.log(s), error: (s: string) => console.error(s) };

type Log = ReturnType<typeof createLogger>;
/** A running node as its banner shows it: a JSON line always, a human text too on a terminal. */
interface Banner { msg: string; fields: Record<string, unknown>; text: string; stop: () => Promise<void> }
const LONG_RUNNING = ['start', 'broker', 'api', 'ingest'] as const;
type LongRunning = (typeof LONG_RUNNING)[number];
const isLongRunning = (cmd: string): cmd is LongRunning => (LONG_RUNNING as readonly string[]).includes(cmd);

/** The `cityhub` command. Resolves with an exit code; a long-running command resolves only when it has stopped. */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(HELP);
    return cmd ? 0 : 2;
  }
  if (cmd === '--version' || cmd === '-v' || cmd === 'version') {
    console.log(`cityhub ${VERSION}`);
    return 0;
  }
  if (isLongRunning(cmd) && rest.length > 0) {
    // Help is printed without reading the configuration or starting anything; other arguments are refused.
    if (rest.every((a) => a === '--help' || a === '-h')) {
      console.log(COMMAND_HELP[cmd]);
      return 0;
    }
    console.error(`cityhub ${cmd}: unknown argument "${rest.find((a) => a !== '--help' && a !== '-h')}"\n\n${COMMAND_HELP[cmd]}`);
    return 2;
  }
  let config;
  try {
    config = parseConfig(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    fatal(createLogger({ CITYHUB_LOG_LEVEL: 'info' }), err, 'the configuration is refused');
    return 2;
  }
  if (isLongRunning(cmd)) return runUntilSignal(config, (log) => startCommand(cmd, config, log));
  // With several nodes, the registry and tokens live in Redis: the CLI changes them there.
  const redis = config.CITYHUB_REDIS_URL ? { redisUrl: config.CITYHUB_REDIS_URL } : {};
  const secretKey = config.CITYHUB_DEVICE_SECRET_KEY;
  // Commands load what they run only when they run it: help and the version answer at once.
  const { devicesCommand, tokensCommand, usersCommand } = await import('@cityhub/devices');
  switch (cmd) {
    case 'devices':
      if (rest[0] === 'simulate') {
        const { simulateCommand } = await import('@cityhub/simulator');
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
    case 'users': {
      const { readPassword } = await import('./ops/password-input.js');
      return usersCommand(rest, { dataDir: config.CITYHUB_DATA_DIR, readPassword, ...redis }, out);
    }
    default:
      console.error(`cityhub: unknown command "${cmd}"\n\n${HELP}`);
      return 2;
  }
}

/** A fatal error as a JSON line, and as plain text too when a person watches the terminal. */
function fatal(log: Log, err: unknown, msg: string): void {
  log.fatal({ err }, msg);
  if (process.stderr.isTTY) console.error(err instanceof Error ? err.message : String(err));
}

/** Starts a long-running command; resolves with its banner and stop function. */
async function startCommand(cmd: LongRunning, config: Config, log: Log): Promise<Banner> {
  switch (cmd) {
    case 'start': {
      const { startHub } = await import('./nodes/hub.js');
      const hub = await startHub(config, log);
      const mqtt = [hub.mqttUrl, ...hub.mqttExtra];
      return { msg: 'City Hub is running', fields: { dashboard: `${hub.httpUrl}/`, api: `${hub.httpUrl}/api/v1/assets`, mqtt, data: hub.dataDir }, stop: () => hub.stop(),
        text: `\nCity Hub is running.\n  Dashboard:  ${hub.httpUrl}/\n  API:        ${hub.httpUrl}/api/v1/assets\n  MQTT:       ${mqtt.join('  ')}\n  Data:       ${hub.dataDir}\nPress Ctrl+C to stop.\n` };
    }
    case 'broker': {
      const { startBrokerNode } = await import('./nodes/broker-node.js');
      const node = await startBrokerNode(config, log);
      const mqtt = [node.mqttUrl, ...node.mqttExtra];
      return { msg: 'City Hub broker node is running', fields: { mqtt, http: node.httpUrl }, stop: () => node.stop(),
        text: `City Hub broker node is running.\n  MQTT:    ${mqtt.join('  ')}\n  HTTP:    ${node.httpUrl}  (/healthz, /readyz, /metrics)\nPress Ctrl+C to stop.` };
    }
    case 'api': {
      const { startApiNode } = await import('./nodes/api-node.js');
      const node = await startApiNode(config, log);
      return { msg: 'City Hub API node is running', fields: { dashboard: `${node.httpUrl}/`, api: `${node.httpUrl}/api/v1/assets` }, stop: () => node.stop(),
        text: `City Hub API node is running.\n  Dashboard:  ${node.httpUrl}/\n  API:        ${node.httpUrl}/api/v1/assets\nPress Ctrl+C to stop.` };
    }
    case 'ingest': {
      const { startIngestNode } = await import('./nodes/ingest-node.js');
      const node = await startIngestNode(config, log);
      const url = config.CITYHUB_INGEST_MQTT_URL ?? `mqtt://${config.CITYHUB_MQTT_HOST}:${config.CITYHUB_MQTT_PORT}`;
      return { msg: 'City Hub ingest is running', fields: { connections: node.connections, url }, stop: () => node.stop(),
        text: `City Hub ingest is running: ${node.connections} connection(s) to ${url}. Press Ctrl+C to stop.` };
    }
  }
}

/**
 * Runs a long-running command until SIGINT or SIGTERM, then its stop function; exit status 0 after a clean
 * stop, 1 when it could not start. Its banner is a JSON line at info whatever the log level (and the human
 * text on a terminal).
 */
async function runUntilSignal(config: Config, run: (log: Log) => Promise<Banner>): Promise<number> {
  const log = createLogger(config);
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
  let banner: Banner;
  try {
    banner = await run(log);
  } catch (err) {
    fatal(log, err, 'could not start');
    return 1;
  }
  log.child({}, { level: 'info' }).info(banner.fields, banner.msg);
  if (process.stdout.isTTY) console.log(banner.text);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (sig: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal: sig }, 'stopping');
      banner.stop().then(() => resolve(0), (err: unknown) => {
        log.error({ err }, 'stop failed');
        resolve(1);
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
