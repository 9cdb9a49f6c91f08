import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RULES, RuleSet, type SharedDocument } from '@cityhub/contracts';
import { openSharedDocument, sharedDocPath } from '@cityhub/state';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { RuleFile } from '../src/rule-file.js';

/**
 * The rules document as the hub keeps it on one machine (`<data dir>/rules.json`, a FileDocument), wrapped
 * to count reads, to hold RuleFile to its throttle. `write` is another process's change: a second document
 * on the same file (null removes the file).
 */
class CountedDocument implements SharedDocument {
  reads = 0;
  private constructor(private readonly doc: SharedDocument, private readonly other: SharedDocument, private readonly path: string) {}

  static async open(dir: string): Promise<CountedDocument> {
    const d = new CountedDocument(await openSharedDocument('rules', { dataDir: dir }), await openSharedDocument('rules', { dataDir: dir }), sharedDocPath('rules', dir));
    opened.push(d);
    return d;
  }

  get location(): string {
    return this.doc.location;
  }

  read(): { text: string | null; stamp: string } {
    this.reads++;
    return this.doc.read();
  }

  update<T>(fn: (text: string | null) => { text?: string; result: T }): Promise<T> {
    return this.doc.update(fn);
  }

  /** Another process's write. */
  async write(text: string | null): Promise<void> {
    if (text === null) await rm(this.path, { force: true });
    else await this.other.update(() => ({ text, result: undefined }));
  }

  sync(): Promise<void> {
    return this.doc.sync();
  }

  async close(): Promise<void> {
    await Promise.all([this.doc.close(), this.other.close()]);
  }
}

const opened: CountedDocument[] = [];
let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'cityhub-rules-')); });
afterEach(async () => {
  await Promise.all(opened.splice(0).map((d) => d.close()));
  await rm(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const custom = {
  rules: [{ id: 'slow-link', name: 'Link 12 slow', severity: 'warning', type: 'threshold', kind: 'traffic', metric: 'speed_kmh', op: 'below', value: 20, for_s: 60, asset: 'link-12' }],
  notify: { webhooks: [{ url: 'https://ops.example.org/hook', secret: 'a-secret-of-16-chars' }] },
};

describe('RuleFile', () => {
  it('serves the built-in rules until a set is saved, then the saved set', async () => {
    const doc = await CountedDocument.open(dir);
    const rules = new RuleFile(doc);
    expect(rules.get().rules).toEqual(DEFAULT_RULES);
    expect(rules.get().notify).toEqual({ webhooks: [] });
    expect(rules.problem).toBeNull();
    expect(rules.location).toBe(join(dir, 'rules.json'));

    const saved = await rules.put(custom);
    expect(saved.rules.map((r) => r.id)).toEqual(['slow-link']);
    // Defaults filled in by the schema are stored.
    expect(saved.rules[0]).toMatchObject({ enabled: true, clear_hysteresis: 0.1 });
    expect(saved.notify.webhooks[0]?.min_severity).toBe('info');
    expect(rules.get()).toEqual(saved);
    expect(RuleSet.parse(JSON.parse(doc.read().text!))).toEqual(saved);
  });

  it('validates a set before saving: an invalid one throws the zod error and changes nothing', async () => {
    const doc = await CountedDocument.open(dir);
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
    const doc = await CountedDocument.open(dir);
    const rules = new RuleFile(doc, { checkMs: 0 });
    await rules.put(custom);
    await doc.write('{"rules": [{"id": "Not An Id"}]}');
    expect(rules.get().rules.map((r) => r.id)).toEqual(['slow-link']);
    expect(rules.problem?.startsWith(`${join(dir, 'rules.json')}: `)).toBe(true);
    await doc.write('not json');
    expect(rules.get().rules.map((r) => r.id)).toEqual(['slow-link']);
    expect(rules.problem).toMatch(/JSON/);
    await doc.write(JSON.stringify({ rules: [] }));
    expect(rules.get().rules).toEqual([]);
    expect(rules.problem).toBeNull();
    // A removed set means the built-in rules again, on every node alike.
    await doc.write(null);
    expect(rules.get().rules).toEqual(DEFAULT_RULES);
  });

  it('looks at the document at most once per checkMs however often get is called', async () => {
    const doc = await CountedDocument.open(dir);
    const rules = new RuleFile(doc, { checkMs: 1_000 });
    const before = doc.reads;
    for (let i = 0; i < 100_000; i++) rules.get();
    expect(doc.reads - before).toBeLessThanOrEqual(1);

    // Another node's change is seen once the interval has passed, not before.
    await doc.write(JSON.stringify(custom));
    expect(rules.get().rules).toEqual(DEFAULT_RULES);
    await sleep(1_050);
    expect(rules.get().rules.map((r) => r.id)).toEqual(['slow-link']);
  });

  it('throttles to once a second by default, and a put is seen at once by its own instance', async () => {
    const doc = await CountedDocument.open(dir);
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
