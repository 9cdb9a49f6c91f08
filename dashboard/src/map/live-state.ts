import type { LatestItem, LiveReading } from '@cityhub/contracts';
import { SOURCE_OF_KIND } from '../model/assets.js';
import type { AssetIndex, AssetSourceId } from '../model/assets.js';
import { displayState } from '../ui/display.js';
import type { FeatureState, Shown } from '../ui/display.js';

/** The newest reading the dashboard holds for one asset (from `/latest` or the live socket). */
export type AssetReading = Pick<LatestItem | LiveReading, 'asset' | 'kind' | 'device' | 'ts' | 'values'>;

/** One feature-state write. */
export interface StateUpdate { source: AssetSourceId; id: string; state: FeatureState }

/** Whether an asset whose newest reading is from `ts` (epoch ms) is offline now. */
export type OfflineTest = (asset: string, ts: number) => boolean;

/**
 * Keeps the newest reading per asset and writes the changed ones to the map as feature-state, at most once
 * per animation frame: a burst of live readings costs one repaint, not one each. While `paused` (the
 * dashboard shows the past) readings are still kept, but nothing is written; `repaintAll` brings the map
 * back to the present.
 */
export class LiveState {
  private readonly latest = new Map<string, AssetReading>();
  private readonly dirty = new Set<string>();
  private readonly offlineWritten = new Map<string, boolean>();
  private scheduled = false;
  private readonly listeners: ((ids: ReadonlySet<string>) => void)[] = [];
  /** Readings for assets that are not in the catalogue: the hub and this page disagree. */
  unknown = 0;
  /** While true, readings accumulate and the map is left alone. */
  paused = false;

  constructor(
    private readonly assets: AssetIndex,
    private readonly sink: (updates: StateUpdate[]) => void,
    private readonly schedule: (cb: () => void) => void = (cb) => requestAnimationFrame(() => cb()),
    private readonly isOffline: OfflineTest = () => false,
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
    this.markDirty(r.asset);
    return true;
  }

  /** The newest reading of an asset, if any. */
  readingOf(id: string): AssetReading | undefined {
    return this.latest.get(id);
  }

  /** What an asset shows live: its newest reading and whether it is offline by now; null without one. */
  shownOf(id: string): Shown | null {
    const r = this.latest.get(id);
    if (!r) return null;
    const ts = Date.parse(r.ts);
    return { values: r.values, ts, offline: this.isOffline(id, ts) };
  }

  /** Calls `cb` with the ids written in each flush. */
  onFlush(cb: (ids: ReadonlySet<string>) => void): void {
    this.listeners.push(cb);
  }

  /** Re-checks every asset's offline flag (time passes without readings) and writes the ones that changed. */
  recheckOffline(): void {
    for (const [id, r] of this.latest) {
      if (this.isOffline(id, Date.parse(r.ts)) !== (this.offlineWritten.get(id) ?? false)) this.markDirty(id);
    }
  }

  /** Writes every asset of the catalogue (a blank state for those without a reading), e.g. back from the past. */
  repaintAll(): void {
    for (const a of this.assets.all()) this.dirty.add(a.id);
    this.flush();
  }

  /** Writes every pending change now (unless paused). */
  flush(): void {
    this.scheduled = false;
    if (this.paused || this.dirty.size === 0) return;
    const ids = new Set(this.dirty);
    this.dirty.clear();
    const updates: StateUpdate[] = [];
    for (const id of ids) {
      const asset = this.assets.find(id);
      if (!asset) continue;
      const shown = this.shownOf(id);
      this.offlineWritten.set(id, shown?.offline ?? false);
      updates.push({ source: SOURCE_OF_KIND[asset.properties.kind], id, state: displayState(asset.properties, shown) });
    }
    this.sink(updates);
    for (const l of this.listeners) l(ids);
  }

  private markDirty(id: string): void {
    this.dirty.add(id);
    if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(() => this.flush());
    }
  }
}
