import type { Kind } from '@cityhub/contracts';
import { KINDS } from '@cityhub/contracts';
import type { SeriesQuery } from '../data/api.js';
import { PRIMARY_METRIC, SOURCE_OF_KIND } from '../model/assets.js';
import type { AssetIndex } from '../model/assets.js';
import { displayState } from '../ui/display.js';
import type { Shown } from '../ui/display.js';
import { offlineAfterMs } from '../model/offline.js';
import { lastIndexAtOrBefore, mergePointMaps, pointsByAsset, valueAt } from '../model/points.js';
import type { Point } from '../model/points.js';
import type { SeriesCache } from '../data/series-cache.js';
import type { StateUpdate } from './live-state.js';
import { PLAY_SPEEDS, windowsCovering } from '../time/time-query.js';
import type { PlaySpeed } from '../time/time-query.js';

export interface HistoryDeps {
  cache: SeriesCache;
  assets: AssetIndex;
  /** An asset's usual reporting interval (ms), if known. */
  intervalOf: (asset: string) => number | undefined;
  /** Whether an asset has a device that reports (it has a live reading): silence at a moment then means offline. */
  reports: (asset: string) => boolean;
  /** The oldest moment the hub holds readings for (its retention): before it nothing is known, not offline. */
  since: () => number;
  sink: (updates: StateUpdate[]) => void;
}

/**
 * What the map shows at a moment in the past: the primary metric of every asset of every kind, read per
 * speed step from `/series?kind=…` in fixed windows (cached, so scrubbing back and forth asks once), applied
 * as feature-state. An asset shows the bucket holding the moment, or the newest before it while that is
 * younger than its offline threshold; a reporting asset with nothing that recent is offline at that moment.
 */
export class HistoryMap {
  private shown = new Map<string, Shown>();
  private generation = 0;
  /** The moment and speed last written to the map. */
  current: { t: number; speed: PlaySpeed } | null = null;

  constructor(private readonly deps: HistoryDeps) {}

  /**
   * The windows (queries) that hold moment `t` at `speed` for one kind: back far enough for the kind's slowest
   * reporter to still count as online, at most one window more.
   */
  queriesAt(kind: Kind, t: number, speed: PlaySpeed): SeriesQuery[] {
    const { step, windowMs } = PLAY_SPEEDS[speed];
    let slowest = offlineAfterMs(undefined);
    for (const a of this.deps.assets.all()) {
      if (a.properties.kind === kind) slowest = Math.max(slowest, offlineAfterMs(this.deps.intervalOf(a.id)));
    }
    const lookback = Math.min(windowMs, Math.max(step.ms, slowest));
    return windowsCovering(t, lookback, windowMs).map((from) => ({
      kind, metric: PRIMARY_METRIC[kind], from, to: from + windowMs, step: step.param, agg: 'mean' as const,
    }));
  }

  /** Fetches what moment `t` needs, without drawing (the player calls it ahead of time). */
  prefetch(t: number, speed: PlaySpeed): Promise<unknown> {
    return Promise.all(KINDS.flatMap((k) => this.queriesAt(k, t, speed).map((q) => this.deps.cache.get(q))));
  }

  /**
   * Draws moment `t`. Resolves true once written, false when a later call overtook this one (scrubbing):
   * only the newest moment asked for is ever drawn.
   */
  async showAt(t: number, speed: PlaySpeed): Promise<boolean> {
    const gen = ++this.generation;
    const perKind = await Promise.all(KINDS.map(async (kind) => {
      const answers = await Promise.all(this.queriesAt(kind, t, speed).map((q) => this.deps.cache.get(q)));
      return [kind, mergePointMaps(answers.map(pointsByAsset))] as const;
    }));
    if (gen !== this.generation) return false;
    const stepMs = PLAY_SPEEDS[speed].step.ms;
    const shown = new Map<string, Shown>();
    const updates: StateUpdate[] = [];
    for (const [kind, byAsset] of perKind) {
      for (const asset of this.deps.assets.all()) {
        if (asset.properties.kind !== kind) continue;
        const s = this.shownAt(kind, byAsset.get(asset.id) ?? [], asset.id, t, stepMs);
        if (s) shown.set(asset.id, s);
        updates.push({ source: SOURCE_OF_KIND[kind], id: asset.id, state: displayState(asset.properties, s) });
      }
    }
    this.shown = shown;
    this.current = { t, speed };
    this.deps.sink(updates);
    return true;
  }

  /** What an asset showed at the moment last drawn, or null. */
  shownOf(id: string): Shown | null {
    return this.shown.get(id) ?? null;
  }

  /** Forgets the drawn moment (back to live). Requests in flight will not draw. */
  reset(): void {
    this.generation++;
    this.current = null;
    this.shown = new Map();
  }

  private shownAt(kind: Kind, points: readonly Point[], id: string, t: number, stepMs: number): Shown | null {
    const lookback = Math.max(stepMs, offlineAfterMs(this.deps.intervalOf(id)));
    const p = valueAt(points, t, lookback);
    if (p) return { values: { [PRIMARY_METRIC[kind]]: p[1] }, ts: p[0], offline: false };
    // Silence is offline only where the hub could have heard the device: not before its retained history
    // (the offline judgement needs a threshold's worth of history behind the moment), not for one never heard.
    if (t - lookback < this.deps.since()) return null;
    if (points.length === 0 && !this.deps.reports(id)) return null;
    const before = points[lastIndexAtOrBefore(points, t)];
    return { values: {}, ts: before?.[0] ?? null, offline: true };
  }
}
