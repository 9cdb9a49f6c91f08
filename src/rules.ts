import { openSharedDocument } from '@cityhub/state';
import { RuleFile } from '@cityhub/ingest';
import type { Logger } from './logger.js';

/** The alert rules of this hub: `<data dir>/rules.json`, or in Redis when nodes share it. */
export async function openRules(where: { dataDir: string; redisUrl?: string }, log: Logger): Promise<{ file: RuleFile; close(): Promise<void> }> {
  const doc = await openSharedDocument('rules', { ...where, logger: log.child({ name: 'rules' }) });
  return { file: new RuleFile(doc), close: () => doc.close() };
}
