import { readFileSync, statSync } from 'node:fs';
import { mkdir, open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DEFAULT_RULES, RuleSet } from '@cityhub/contracts';

/**
 * The alert rules and notification targets, in `<data dir>/rules.json` (the built-in rules until someone
 * saves a set). Written atomically; re-read when another process changed it.
 */
export class RuleFile {
  private set: RuleSet = { rules: DEFAULT_RULES, notify: { webhooks: [] } };
  private stamp = '';

  constructor(readonly path: string) {
    this.refresh();
  }

  /** The current rule set; a file that fails validation keeps the last good one (and says why once). */
  get(): RuleSet {
    this.refresh();
    return this.set;
  }

  /** Why the file on disk was refused, if it was. */
  problem: string | null = null;

  private refresh(): void {
    let st;
    try {
      st = statSync(this.path);
    } catch {
      return;
    }
    const stamp = `${st.mtimeMs}:${st.size}`;
    if (stamp === this.stamp) return;
    this.stamp = stamp;
    try {
      this.set = RuleSet.parse(JSON.parse(readFileSync(this.path, 'utf8')));
      this.problem = null;
    } catch (err) {
      this.problem = `${this.path}: ${(err as Error).message}`;
    }
  }

  /** Validates and saves a rule set; throws the zod error when it is not valid. */
  async put(input: unknown): Promise<RuleSet> {
    const set = RuleSet.parse(input);
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify(set, null, 2));
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.path);
    this.stamp = '';
    this.refresh();
    return this.set;
  }
}
