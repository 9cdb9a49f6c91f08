// `cityhub devices simulate` as the bench runs it: the built simulator workspace in a process of its own
// (no TypeScript loader, so its RSS is the simulator's). Configuration from the same environment as cityhub.
import { simulateCommand } from '@cityhub/simulator';

const env = process.env;
const code = await simulateCommand(process.argv.slice(2), {
  dataDir: env.CITYHUB_DATA_DIR ?? './.data',
  mqttHost: env.CITYHUB_MQTT_HOST,
  mqttPort: env.CITYHUB_MQTT_PORT ? Number(env.CITYHUB_MQTT_PORT) : undefined,
  syntheticAssets: env.CITYHUB_SYNTHETIC_ASSETS ? Number(env.CITYHUB_SYNTHETIC_ASSETS) : undefined,
  retentionDays: env.CITYHUB_RETENTION_RAW_DAYS ? Number(env.CITYHUB_RETENTION_RAW_DAYS) : undefined,
  zone: env.CITYHUB_TZ,
}, { log: (s) => console.log(s), error: (s) => console.error(s) });
process.exit(code);
