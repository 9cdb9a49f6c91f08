import type { SeriesResponse } from '@cityhub/contracts';
import type { SeriesQuery } from './api.js';

/** How long an answer whose range reaches the present stays fresh: new readings keep arriving there. */
export const RECENT_TTL_MS = 30_000;
/** A range that ends more than this before now is history: its answer does not change and is kept. */
const SETTLED_MS = 5 * 60_000;

interface Entry { at: number; recent: boolean; value: Promise<SeriesResponse> }

/**
 * `/series` answers by query, least recently used dropped first. Concurrent asks for one query share one
 * request; a failed request is forgotten so the next ask retries. Answers about the past are kept until
 * dropped; those that reach the present expire after `RECENT_TTL_MS`.
 */
export class SeriesCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly fetcher: (q: SeriesQuery) => Promise<SeriesResponse>,
    private readonly keyOf: (q: SeriesQuery) => string,
    private readonly max = 64,
    private readonly now: () => number = Date.now,
  ) {}

  /** The answer to `q`, from the cache when fresh. */
  get(q: SeriesQuery): Promise<SeriesResponse> {
    const key = this.keyOf(q);
    const t = this.now();
    const hit = this.entries.get(key);
    if (hit && (!hit.recent || t - hit.at < RECENT_TTL_MS)) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.value;
    }
    const value = this.fetcher(q);
    const entry: Entry = { at: t, recent: q.to > t - SETTLED_MS, value };
    this.entries.set(key, entry);
    value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }

  /** How many answers are held. */
  get size(): number {
    return this.entries.size;
  }
}
