import { DEFAULT_RULES, RuleSet, type SharedDocument } from '@cityhub/contracts';

/** Options of {@link RuleFile}. */
export interface RuleFileOptions {
  /**
   * How often `get` looks for a new version (ms; default 1000). `get` runs on the ingest hot path; a file
   * document costs a `stat` per look.
   */
  checkMs?: number;
}

const defaults = (): RuleSet => ({ rules: DEFAULT_RULES, notify: { webhooks: [] } });

/**
 * The alert rules and notification targets, kept in a shared document: `<data dir>/rules.json` on one
 * machine, a Redis key when several nodes share them (see `openRules`, which opens `openSharedDocument('rules')`
 * of @cityhub/state). The built-in rules until someone saves a set. Another process's change is seen within
 * `checkMs`; a stored set that fails validation keeps the last good one, and `problem` says why.
 */
export class RuleFile {
  private set: RuleSet = defaults();
  private stamp = '';
  private lastCheck = 0;
  private readonly checkMs: number;

  /** Why the stored set was refused, if it was. */
  problem: string | null = null;

  constructor(private readonly doc: SharedDocument, opts: RuleFileOptions = {}) {
    this.checkMs = opts.checkMs ?? 1000;
    this.refresh();
  }

  /** Where the rules live: the file, or `redis://…#cityhub:doc:rules`. */
  get location(): string {
    return this.doc.location;
  }

  /** The current rule set, as last seen (at most `checkMs` old). */
  get(): RuleSet {
    if (Date.now() - this.lastCheck >= this.checkMs) this.refresh();
    return this.set;
  }

  /** Validates and saves a rule set; throws the zod error when it is not valid (and saves nothing). */
  async put(input: unknown): Promise<RuleSet> {
    const set = RuleSet.parse(input);
    const text = JSON.stringify(set, null, 2);
    await this.doc.update(() => ({ text, result: undefined }));
    this.refresh();
    return this.set;
  }

  private refresh(): void {
    this.lastCheck = Date.now();
    let snap: { text: string | null; stamp: string };
    try {
      snap = this.doc.read();
    } catch (err) {
      this.problem = `${this.doc.location}: ${(err as Error).message}`;
      return;
    }
    if (snap.stamp === this.stamp) return;
    this.stamp = snap.stamp;
    if (snap.text === null) {
      // Nothing saved (or the set was removed): every node falls back to the same built-in rules.
      this.set = defaults();
      this.problem = null;
      return;
    }
    try {
      this.set = RuleSet.parse(JSON.parse(snap.text));
      this.problem = null;
    } catch (err) {
      this.problem = `${this.doc.location}: ${(err as Error).message}`;
    }
  }
}
