import { cityClock, DEFAULT_CITY_TZ, type AssetFeature, type CityClock, type LinkProperties } from '@cityhub/contracts';
import { assetsOfKind } from '@cityhub/contracts/catalogue';
import { createIncidentModel, type IncidentModel, type IncidentOptions } from './models/incidents.js';
import type { WifiOptions } from './models/wifi.js';

/** What the models of a fleet share: the city clock, the road network's incidents and the Wi-Fi event draws. */
export interface FleetModels {
  clock: CityClock;
  incidents: IncidentModel;
  wifi: WifiOptions;
  /** When the retrofitted building (models/energy.ts `RETROFITTED`) was retrofitted; null: not in this history. */
  retrofitAt: number | null;
}

/** Options of {@link createFleetModels}. */
export interface FleetModelOptions {
  /** Seeds the incidents and events: the same seed, the same history (default 0). */
  seed?: number;
  /** Incident options (rate, spill-back share); `{ ratePerDay: 0 }` turns incidents off. */
  incidents?: Omit<IncidentOptions, 'seed'>;
  /** Evening events at Wi-Fi venues (default true). */
  events?: boolean;
  /** The city's IANA time zone its daily patterns follow (CITYHUB_TZ; default Europe/Athens). */
  zone?: string;
  /** When the retrofitted building was retrofitted (epoch ms; null: never); default local midnight `retrofitDaysAgo` days before now. */
  retrofitAt?: number | null;
  /** Days before now the default `retrofitAt` falls at local midnight (default {@link RETROFIT_DAYS_AGO}; a backfill sets half its days). */
  retrofitDaysAgo?: number;
}

/** Days before the fleet starts that the retrofitted building was retrofitted, unless told otherwise: half the default 14-day backfill. */
export const RETROFIT_DAYS_AGO = 7;

/** Days before now a backfill of `days` puts the retrofit: half way through it, so the history shows before and after. */
export function retrofitDaysAgoFor(backfillDays: number): number {
  return Math.floor(backfillDays / 2);
}

/**
 * The shared models of a fleet. Incidents spread over the real road network (every catalogue link, so
 * spill-back reaches links that have no simulated device too); `extraLinks` adds links of their own.
 */
export function createFleetModels(opts: FleetModelOptions = {}, extraLinks: readonly AssetFeature[] = []): FleetModels {
  const links = [...assetsOfKind('traffic'), ...extraLinks].map((f) => f.properties as LinkProperties);
  const clock = cityClock(opts.zone ?? DEFAULT_CITY_TZ);
  return {
    clock,
    incidents: createIncidentModel(links, { ...opts.incidents, seed: opts.seed ?? 0, clock }),
    wifi: { events: opts.events ?? true, seed: opts.seed ?? 0, clock },
    retrofitAt: opts.retrofitAt !== undefined ? opts.retrofitAt : clock.dayStart(clock.dayNumber(Date.now()) - (opts.retrofitDaysAgo ?? RETROFIT_DAYS_AGO)),
  };
}
