import { z } from 'zod';

/** The three kinds of field device the hub knows. */
export const Kind = z.enum(['traffic', 'wifi', 'energy']);
export type Kind = z.infer<typeof Kind>;
export const KINDS = Kind.options;

/**
 * A gateway speaks for child devices registered under it (a LoRaWAN network server, a controller cabinet
 * with several detectors): it sends their readings, each held to its child's kind, asset and accounting.
 * It has no readings of its own, so it is a kind of device, not of reading.
 */
export const GATEWAY_KIND = 'gateway';
export const DeviceKind = z.enum([...KINDS, GATEWAY_KIND]);
export type DeviceKind = z.infer<typeof DeviceKind>;
/** True for the kinds that send readings of their own. */
export const isReadingKind = (k: DeviceKind): k is Kind => k !== GATEWAY_KIND;

/** Metrics of each kind, required one first. Units are in the names. */
export const METRICS = {
  traffic: ['speed_kmh', 'travel_time_s', 'flow_veh_h', 'occupancy_pct'],
  wifi: ['clients', 'rx_kbps', 'tx_kbps'],
  energy: ['power_kw', 'energy_kwh'],
} as const satisfies Record<Kind, readonly string[]>;

export type Metric<K extends Kind = Kind> = (typeof METRICS)[K][number];
export const ALL_METRICS = [...METRICS.traffic, ...METRICS.wifi, ...METRICS.energy] as const;
export const MetricName = z.enum(ALL_METRICS);
export type MetricName = z.infer<typeof MetricName>;

/** Metrics that are meter counters: they never decrease, and their rollups keep the last value. */
export const COUNTER_METRICS: ReadonlySet<string> = new Set(['energy_kwh']);

/** The kind a metric belongs to. */
export function kindOfMetric(metric: string): Kind | undefined {
  for (const k of KINDS) if ((METRICS[k] as readonly string[]).includes(metric)) return k;
  return undefined;
}

/** The asset property that names a reading's asset in each kind (also the InfluxDB tag). */
export const ASSET_TAG = { traffic: 'link', wifi: 'hotspot', energy: 'building' } as const satisfies Record<Kind, string>;
