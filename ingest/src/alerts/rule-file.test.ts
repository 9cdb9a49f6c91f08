import { DEFAULT_RULES, RuleSet, type SharedDocument } from '@cityhub/contracts';
import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { RuleFile } from './rule-file.js';

/**
 * A document in memory: what RuleFile needs of the file or Redis documents (those are tested in devices,
 * which ingest does not import). It counts reads, to hold RuleFile to its throttle.
 */
class MemoryDocument implements SharedDocument {
  readonly location = 'memory:rules';
  reads = 0;
  private text: string | null = null;
  private version = 0;

  read(): { text: string | null; stamp: string } {
    this.reads++;
    return { text: this.text, stamp: String(this.version) };
  }

  async update<T>(fn: (text: string | null) => { text?: string; result: T }): Promise<T> {
    const { text, result } = fn(this.text);
    if (text !== undefined) this.write(text);
    return result;
  }

  /** Another process's write. */
  write(text: string | null): void {
    this.text = text;
    this.version++;
  }

  async sync(): Promise<void> {}
  async close(): Promise<void> {}
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const custom = {
  rules: [{ id: 'slow-link', name: 'Link 12 slow', severity: 'warning', type: 'threshold', kind: 'traffic', metric: 'speed_kmh', op: 'below', value: 20, for_s: 60, asset: 'link-12' }],
  notify: { webhooks: [{ url: 'https://ops.example.org/hook', secret: 'a-secret-of-16-chars' }] },
};

describe('RuleFile', () => {
  it('serves the built-in rules until a set is saved, then the saved set', async () => {
    const doc = new MemoryDocument();
    const rules = new RuleFile(doc);
    expect(rules.get().rules).toEqual(DEFAULT_RULES);
    expect(rules.get().notify).toEqual({ webhooks: [] });
    expect(rules.problem).toBeNull();
    expect(rules.location).toBe('memory:rules');

    const saved = await rules.put(custom);
    expect(saved.rules.map((r) => r.id)).toEqual(['slow-link']);
    // Defaults filled in by the schema are stored.
    expect(saved.rules[0]).toMatchObject({ enabled: true, clear_hysteresis: 0.1 });
    expect(saved.notify.webhooks[0]?.min_severity).toBe('info');
    expect(rules.get()).toEqual(saved);
    expect(RuleSet.parse(JSON.parse(doc.read().text!))).toEqual(saved);
  });

  it('validates a set before saving: an invalid one throws the zod error and changes nothing', async () => {
    const doc = new MemoryDocument();
    const rules = new RuleFile(doc);
    const bad = [
      { rules: [{ ...custom.rules[0], metric: 'clients' }] },
      { rules: [custom.rules[0], custom.rules[0]] },
      { rules: [{ ...custom.rules[0], value: undefined }] },
      { rules: [], extra: true },
    ];
    for (const input of bad) {
      const err: unknown = await rules.put(input).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(ZodError);
    }
    expect(doc.read().text).toBeNull();
    expect(rules.get().rules).toEqual(DEFAULT_RULES);
  });

  it('keeps the last good set when the stored one is invalid, says why, and recovers', async () => {
    const doc = new MemoryDocument();
    const rules = new RuleFile(doc, { checkMs: 0 });
    await rules.put(custom);
    doc.write('{"rules": [{"id": "Not An Id"}]}');
    expect(rules.get().rules.map((r) => r.id)).toEqual(['slow-link']);
    expect(rules.problem).toMatch(/^memory:rules: /);
    doc.write('not json');
    expect(rules.get().rules.map((r) => r.id)).toEqual(['slow-link']);
    expect(rules.problem).toMatch(/JSON/);
    doc.write(JSON.stringify({ rules: [] }));
    expect(rules.get().rules).toEqual([]);
    expect(rules.problem).toBeNull();
    // A removed set means the built-in rules again, on every node alike.
    doc.write(null);
    expect(rules.get().rules).toEqual(DEFAULT_RULES);
  });

  it('looks at the document at most once per checkMs however often get is called', async () => {
    const doc = new MemoryDocument();
    const rules = new RuleFile(doc, { checkMs: 150 });
    const before = doc.reads;
    for (let i = 0; i < 100_000; i++) rules.get();
    expect(doc.reads - before).toBeLessThanOrEqual(1);

    // Another node's change is seen once the interval has passed, not before.
    doc.write(JSON.stringify(custom));
    expect(rules.get().rules).toEqual(DEFAULT_RULES);
    await sleep(170);
    expect(rules.get().rules.map((r) => r.id)).toEqual(['slow-link']);
  });

  it('throttles to once a second by default, and a put is seen at once by its own instance', async () => {
    const doc = new MemoryDocument();
    const a = new RuleFile(doc);
    const b = new RuleFile(doc);
    const before = doc.reads;
    const t0 = performance.now();
    for (let i = 0; i < 100_000; i++) b.get();
    expect(doc.reads - before).toBeLessThanOrEqual(Math.ceil((performance.now() - t0) / 1000));
    await a.put(custom);
    expect(a.get().rules.map((r) => r.id)).toEqual(['slow-link']);
    const seen = performance.now();
    while (b.get().rules === DEFAULT_RULES && performance.now() - seen < 2_000) await sleep(20);
    expect(b.get().rules.map((r) => r.id)).toEqual(['slow-link']);
    expect(performance.now() - seen).toBeLessThan(1_100);
  });
});
