import { cityClock, type Config, type Logger, type SharedDocument } from '@cityhub/contracts';
import { assetsOfKind, findAsset } from '@cityhub/contracts/catalogue';
import { openSharedDocument } from '@cityhub/state';
import type { Store } from '@cityhub/store';
import { Baselines } from './baselines.js';
import { AlertEngine } from './engine.js';
import { Notifier } from './notifier.js';
import { RuleFile } from './rule-file.js';

/** A logger for one named part (the root passes `(name) => pino.child({ name })`). */
export type PartLogger = (name: string) => Logger;

/** Where the shared documents are: files under the data directory, or Redis when nodes share them. */
export interface SharedPlace { dataDir: string; redisUrl?: string | undefined }

/** The alert rules of this hub: `<data dir>/rules.json`, or in Redis when nodes share it. */
export async function openRules(where: SharedPlace, log: Logger): Promise<{ file: RuleFile; close(): Promise<void> }> {
  const doc = await openSharedDocument('rules', { ...where, logger: log });
  return { file: new RuleFile(doc), close: () => doc.close() };
}

/** The alert engine's state document (`<data dir>/alerts/state.json`, or in Redis when nodes share it). */
export function openAlertState(where: SharedPlace, log: Logger): Promise<SharedDocument> {
  return openSharedDocument('alerts', { ...where, logger: log });
}

/** The alert engine and the notifications of its events. */
export interface Alerting { alerts: AlertEngine; notifier: Notifier; close(): Promise<void> }

/**
 * Opens the alert engine (its state in `stateDoc`: how long each condition has held, which alerts are open)
 * and the notifier its events go to. The caller feeds it readings and device status, and closes it.
 */
export async function openAlerting(o: { config: Config; store: Store; rules: RuleFile; stateDoc: SharedDocument; log: PartLogger }): Promise<Alerting> {
  const { config, store, rules, log } = o;
  const synthetic = config.CITYHUB_SYNTHETIC_ASSETS;
  const baselines = new Baselines({
    store, rules: () => rules.get().rules, logger: log('alerts'), clock: cityClock(config.CITYHUB_TZ),
    assets: (kind) => assetsOfKind(kind, { synthetic }).map((f) => f.id),
  });
  const alerts = await AlertEngine.open({
    store, rules: () => rules.get().rules, stateDoc: o.stateDoc, logger: log('alerts'), timeZone: config.CITYHUB_TZ,
    asset: (id) => findAsset(id, { synthetic })?.properties, baselines,
  });
  const notifier = new Notifier({
    notify: () => rules.get().notify, logger: log('notify'),
    ...(config.CITYHUB_SMTP_URL && { smtpUrl: config.CITYHUB_SMTP_URL }),
    ...(config.CITYHUB_ALERT_EMAIL_FROM && { from: config.CITYHUB_ALERT_EMAIL_FROM }),
  });
  alerts.on('event', (ev) => notifier.send(ev));
  return {
    alerts, notifier,
    async close() {
      await alerts.close();
      await baselines.idle();
      await notifier.close();
    },
  };
}
