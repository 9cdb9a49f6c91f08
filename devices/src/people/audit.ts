import { z } from 'zod';
import { AuditEntry } from '@cityhub/contracts';
import type { SharedDocOptions } from '@cityhub/state';
import { JsonDoc } from '../util/json-doc.js';

/** The audit log keeps this many entries, the newest; older ones are dropped as new ones come. */
export const AUDIT_MAX_ENTRIES = 2_000;

const AuditFile = z.object({ version: z.literal(1), entries: z.array(AuditEntry) });
type AuditFile = z.infer<typeof AuditFile>;

/**
 * The audit log: sign-ins (good, failed, locked), sign-outs and alert acknowledgements, in the shared
 * document `audit` (`<dataDir>/audit/log.json`, or Redis), bounded to {@link AUDIT_MAX_ENTRIES}.
 */
export class AuditLog {
  private constructor(private readonly doc: JsonDoc<AuditFile>) {}

  static async open(opts: SharedDocOptions): Promise<AuditLog> {
    return new AuditLog(await JsonDoc.open('audit', opts, AuditFile, () => ({ version: 1 as const, entries: [] }), 'an audit log'));
  }

  close(): Promise<void> {
    return this.doc.close();
  }

  async append(entry: Omit<AuditEntry, 'at'>): Promise<void> {
    const e = { at: new Date().toISOString(), ...entry };
    await this.doc.mutate((f) => {
      f.entries.push(e);
      if (f.entries.length > AUDIT_MAX_ENTRIES) f.entries.splice(0, f.entries.length - AUDIT_MAX_ENTRIES);
    });
  }

  /** The newest `limit` entries, newest first, optionally of one action or one person. */
  list(q: { limit: number; action?: AuditEntry['action'] | undefined; who?: string | undefined }): AuditEntry[] {
    const out: AuditEntry[] = [];
    const all = this.doc.value().entries;
    for (let i = all.length - 1; i >= 0 && out.length < q.limit; i--) {
      const e = all[i]!;
      if ((q.action === undefined || e.action === q.action) && (q.who === undefined || e.who === q.who)) out.push(e);
    }
    return out;
  }
}
