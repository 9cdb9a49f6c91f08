import type { BuildingProperties } from '@cityhub/contracts';
import { SOURCE_OF_KIND } from '../model/assets.js';
import type { AssetIndex } from '../model/assets.js';
import { perArea } from '../model/energy.js';
import { pointsByAsset } from '../model/points.js';
import { buildingEnergy } from '../model/ranking.js';
import type { SeriesCache } from '../data/series-cache.js';
import type { StateUpdate } from './live-state.js';
import { DAY_MS, HOUR_MS, spanEndingAt, STEP_1H } from '../time/time-query.js';

/**
 * Energy per floor area over the 24 hours up to the dashboard's moment, per building (kWh/m²), written as
 * the `kwhm2` feature-state the "kWh/m²" building colouring reads. From the meter counter (hourly last
 * values), or mean power where a meter sends no counter; hour-aligned, so a moment costs two small cached
 * requests per hour of dashboard time.
 */
export class IntensityLayer {
  private readonly buildings: BuildingProperties[] = [];
  private shownKey = '';
  private gen = 0;
  /** kWh/m² per building at the moment last written. */
  readonly values = new Map<string, number | null>();

  constructor(private readonly cache: SeriesCache, assets: AssetIndex, private readonly sink: (u: StateUpdate[]) => void) {
    for (const f of assets.all()) if (f.properties.kind === 'energy') this.buildings.push(f.properties);
  }

  /** Computes and writes the values for moment `t`; nothing to do when its hour was written already. */
  async showAt(t: number): Promise<void> {
    const { from, to } = spanEndingAt(t, DAY_MS, STEP_1H);
    const key = `${from}`;
    const gen = ++this.gen;
    if (key === this.shownKey && to < Date.now() - HOUR_MS) return;
    const [counter, power] = await Promise.all([
      this.cache.get({ kind: 'energy', metric: 'energy_kwh', from: from - HOUR_MS, to, step: '1h', agg: 'last' }),
      this.cache.get({ kind: 'energy', metric: 'power_kw', from, to, step: '1h', agg: 'mean' }),
    ]);
    if (gen !== this.gen) return;
    const inputs = { counter: pointsByAsset(counter), meanPower: pointsByAsset(power), maxPower: new Map() };
    const updates: StateUpdate[] = [];
    for (const b of this.buildings) {
      const v = perArea(buildingEnergy(inputs, b.id, from, to)?.kwh, b.floor_area_m2);
      this.values.set(b.id, v);
      updates.push({ source: SOURCE_OF_KIND.energy, id: b.id, state: { kwhm2: v } });
    }
    this.shownKey = key;
    this.sink(updates);
  }
}
