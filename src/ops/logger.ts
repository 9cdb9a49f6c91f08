import { pino, type Logger } from 'pino';
import type { Config } from '@cityhub/contracts';

/** The hub's logger: JSON lines (pino), one per event, with the component as `name`. */
export function createLogger(config: Pick<Config, 'CITYHUB_LOG_LEVEL'>): Logger {
  return pino({ level: config.CITYHUB_LOG_LEVEL, base: undefined, timestamp: pino.stdTimeFunctions.isoTime });
}
export type { Logger };
