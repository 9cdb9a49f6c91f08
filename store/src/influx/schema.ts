import { ASSET_TAG, type Kind } from '@cityhub/contracts';
import type { Resolution } from '../types.js';

/**
 * The InfluxDB layout (docs/design.md, "Storage layout"):
 *
 * - Raw readings: measurement = the kind (`traffic`, `wifi`, `energy`), tags = the kind's asset tag
 *   (`link`, `hotspot`, `building`: ASSET_TAG) and `device`, one float field per metric, time in ms. A point
 *   re-written with the same measurement, tags and time overwrites the fields it carries and keeps the
 *   others: exactly the Store's per-metric key. `seq` is not stored: the Store never reads it back, and a
 *   field of that name would share the namespace of the metrics.
 * - Rollups: measurement `<kind>_<resolution>` (`traffic_1m`, `traffic_15m`, `traffic_1h`, …), the same
 *   tags, time = bucket start, and per metric six float fields `<metric>_count`, `_sum`, `_min`, `_max`,
 *   `_last`, `_last_ts` (no suffix is a suffix of another, so no two metrics' fields can collide). Written by
 *   the store's `write()`, like DuckDB's rollup tables, never by continuous queries.
 * - Dead letters: measurement `dead_letters` (dead-letters.ts); the alert log: `alert_log` (alert-log.ts).
 *
 * Every number is written as a float, never as an integer (`12i`): a field's type is fixed per shard, and
 * one integer would make every later float of that field a type conflict.
 */

/** The raw measurement of a kind. */
export const rawMeasurement = (kind: Kind): string => kind;

/** The rollup measurement of a kind at a resolution. */
export const rollupMeasurement = (kind: Kind, res: Exclude<Resolution, 'raw'>): string => `${kind}_${res}`;

/** The measurement of a kind at any resolution. */
export const measurement = (kind: Kind, res: Resolution): string => (res === 'raw' ? rawMeasurement(kind) : rollupMeasurement(kind, res));

/** The tag that names the asset in a kind's measurements. */
export const assetTag = (kind: Kind): string => ASSET_TAG[kind];

/** The device tag, in every point measurement. */
export const DEVICE_TAG = 'device';

/** The parts a rollup keeps of each metric. */
export const ROLLUP_PARTS = ['count', 'sum', 'min', 'max', 'last', 'last_ts'] as const;
export type RollupPart = (typeof ROLLUP_PARTS)[number];

/** The rollup field that keeps one part of a metric. */
export const rollupField = (metric: string, part: RollupPart): string => `${metric}_${part}`;

/** The dead-letter measurement. */
export const DEAD_LETTERS = 'dead_letters';

/** The alert-log measurement. */
export const ALERT_LOG = 'alert_log';
