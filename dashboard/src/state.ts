import type { AssetProperties, LatestItem, LiveReading } from '@cityhub/contracts';
import { ratioOf, SOURCE_OF_KIND } from './assets.js';
import type { AssetIndex, AssetSourceId } from './assets.js';

/** The newest reading the dashboard holds for one asset (from `/latest` or the live socket). */
export type AssetReading = Pick<LatestItem | LiveReading, 'asset' | 'kind' | 'device' | 'ts' | 'values'>;

/** What the map's paint expressions read from a feature's state. */
export type FeatureState = Record<string, number>;

/** One feature-state write. */
export interface StateUpdate { source: AssetSourceId; id: string; state: FeatureState }

/** An asset's feature-state for a reading: its values, `ratio` (see `ratioOf`) and `ts` in epoch ms. */
export function featureStateFor(props: AssetProperties, r: AssetReading): FeatureState {
  const state: FeatureState = { ...r.values, ts: Date.parse(r.ts) };
  const ratio = ratioOf(props, r.values);
  if (ratio !== null) state.ratio = ratio;
  return state;
}

/**
 * Keeps the newest reading per asset and writes the changed ones to the map as feature-state, at most once
 * per animation frame: a burst of live readings costs one repaint, not one each.
 */
export class LiveState {
  private readonly latest = new Map<string, AssetReading>();
  private readonly dirty = new Set<string>();
  private scheduled = false;
  private readonly listeners: ((ids: ReadonlySet<string>) => void)[] = [];
  /** Readings for assets that are not in the catalogue: the hub and this page disagree. */
  unknown = 0;

  constructor(
    private readonly assets: AssetIndex,
    private readonly sink: (updates: StateUpdate[]) => void,
    private readonly schedule: (cb: () => void) => void = (cb) => requestAnimationFrame(() => cb()),
  ) {}

  /**
   * Takes a reading; returns whether it was newer than what the asset had. Older ones (a device's buffered
   * backlog, or `/latest` answering after a live reading) are ignored so the map never goes back in time.
   */
  ingest(r: AssetReading): boolean {
    if (!this.assets.find(r.asset)) {
      this.unknown++;
      return false;
    }
    const prev = this.latest.get(r.asset);
    if (prev && Date.parse(prev.ts) > Date.parse(r.ts)) return false;
    this.latest.set(r.asset, prev && prev.ts === r.ts ? { ...r, values: { ...prev.values, ...r.values } } : r);
    this.dirty.add(r.asset);
    if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(() => this.flush());
    }
    return true;
  }

  /** The newest reading of an asset, if any. */
  readingOf(id: string): AssetReading | undefined {
    return this.latest.get(id);
  }

  /** Calls `cb` with the ids written in each flush. */
  onFlush(cb: (ids: ReadonlySet<string>) => void): void {
    this.listeners.push(cb);
  }

  /** Writes every pending change now. */
  flush(): void {
    this.scheduled = false;
    if (this.dirty.size === 0) return;
    const ids = new Set(this.dirty);
    this.dirty.clear();
    const updates: StateUpdate[] = [];
    for (const id of ids) {
      const asset = this.assets.find(id);
      const r = this.latest.get(id);
      if (!asset || !r) continue;
      updates.push({ source: SOURCE_OF_KIND[asset.properties.kind], id, state: featureStateFor(asset.properties, r) });
    }
    this.sink(updates);
    for (const l of this.listeners) l(ids);
  }
}
