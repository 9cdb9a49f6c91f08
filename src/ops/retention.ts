import type { Config } from '@cityhub/contracts';
import type { Resolution, Store } from '@cityhub/store';
import type { Logger } from './logger.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

/**
 * The cut-off of each resolution at `now`. Raw is kept an hour longer than its retention, on an hour
 * boundary, so that a rollup bucket that still takes readings (which may be as old as the raw
 * retention) can always be rebuilt from complete raw data.
 */
export function retentionCutoffs(config: Config, now: number): Array<[Resolution, number]> {
  const out: Array<[Resolution, number]> = [
    ['raw', Math.floor((now - config.CITYHUB_RETENTION_RAW_DAYS * DAY) / HOUR) * HOUR - HOUR],
    ['1m', now - config.CITYHUB_RETENTION_1M_DAYS * DAY],
    ['15m', now - config.CITYHUB_RETENTION_15M_DAYS * DAY],
  ];
  if (config.CITYHUB_RETENTION_1H_DAYS !== undefined) out.push(['1h', now - config.CITYHUB_RETENTION_1H_DAYS * DAY]);
  return out;
}

/** Runs retention now and then every hour; returns a function that stops it. */
export function startRetention(store: Store, config: Config, log: Logger, now: () => number = Date.now): () => void {
  let running = false;
  const pass = async () => {
    if (running) return;
    running = true;
    try {
      for (const [res, before] of retentionCutoffs(config, now())) {
        const n = await store.deleteBefore(before, res);
        if (n) log.info({ resolution: res, before: new Date(before).toISOString(), deleted: n }, 'retention');
      }
    } catch (err) {
      log.warn({ err }, 'retention pass failed; it runs again in an hour');
    } finally {
      running = false;
    }
  };
  void pass();
  const timer = setInterval(() => void pass(), HOUR);
  timer.unref();
  return () => clearInterval(timer);
}
