import { METRICS } from '@cityhub/contracts';
import type { AssetProperties } from '@cityhub/contracts';
import { ratioOf } from '../model/assets.js';

/**
 * What the map's paint expressions read from a feature's state. Every key is always written, null when
 * absent, so a state written from history fully replaces one written live (and back).
 */
export type FeatureState = Record<string, number | boolean | null>;

/** What an asset shows at the dashboard's moment: its values, their time, and whether it is offline. */
export interface Shown {
  values: Readonly<Record<string, number>>;
  /** When the values were read (a bucket's start, from history); null for an offline asset with none before. */
  ts: number | null;
  offline: boolean;
}

/**
 * An asset's feature-state: each metric of its kind (null when not in `shown`), `ratio` (see `ratioOf`),
 * `ts` in epoch ms and `offline`. Without `shown` the asset has no reading: every value null, not offline.
 */
export function displayState(props: AssetProperties, shown: Shown | null): FeatureState {
  const state: FeatureState = {};
  for (const m of METRICS[props.kind]) state[m] = shown?.values[m] ?? null;
  state.ratio = shown ? ratioOf(props, shown.values) : null;
  state.ts = shown?.ts ?? null;
  state.offline = shown?.offline ?? false;
  return state;
}
