import { z } from 'zod';
import { Kind } from './kinds.js';

const Position = z.tuple([z.number(), z.number()]);

/** A road link: a directed path between two iTravel Bluetooth detectors, on its real road geometry. */
export const LinkProperties = z.object({
  id: z.string(),
  kind: z.literal('traffic'),
  name: z.string(),
  path_id: z.number().int(),
  length_m: z.number(),
  free_flow_kmh: z.number(),
  /** Free-flow speed is set by road class from the path's name, not measured. */
  free_flow_assumed: z.literal(true),
  origin_detector: z.number().int(),
  destination_detector: z.number().int(),
  /** A synthetic copy of a real asset (load tests): same geometry, its own id and readings. */
  synthetic: z.literal(true).optional(),
});
/** A public Wi-Fi hotspot at a real venue; that the venue has a hotspot, and its capacity, are simulated. */
export const HotspotProperties = z.object({
  id: z.string(),
  kind: z.literal('wifi'),
  name: z.string(),
  venue: z.string(),
  category: z.string(),
  capacity: z.number().int(),
  simulated: z.literal(true),
  simulated_fields: z.array(z.string()),
  /** A synthetic copy of a real asset (load tests): same geometry, its own id and readings. */
  synthetic: z.literal(true).optional(),
});
/** A building with an energy meter at a real venue; use, floor area and power limit are simulated. */
export const BuildingProperties = z.object({
  id: z.string(),
  kind: z.literal('energy'),
  name: z.string(),
  venue: z.string(),
  use: z.string(),
  floor_area_m2: z.number(),
  power_limit_kw: z.number(),
  simulated: z.literal(true),
  simulated_fields: z.array(z.string()),
  /** A synthetic copy of a real asset (load tests): same geometry, its own id and readings. */
  synthetic: z.literal(true).optional(),
});
export type LinkProperties = z.infer<typeof LinkProperties>;
export type HotspotProperties = z.infer<typeof HotspotProperties>;
export type BuildingProperties = z.infer<typeof BuildingProperties>;
export type AssetProperties = LinkProperties | HotspotProperties | BuildingProperties;

export const LineStringGeometry = z.object({ type: z.literal('LineString'), coordinates: z.array(Position) });
export const PointGeometry = z.object({ type: z.literal('Point'), coordinates: Position });

export const AssetFeature = z.object({
  type: z.literal('Feature'),
  id: z.string(),
  properties: z.union([LinkProperties, HotspotProperties, BuildingProperties]),
  geometry: z.union([LineStringGeometry, PointGeometry]),
});
export type AssetFeature = z.infer<typeof AssetFeature>;

export const AssetCollection = z.object({
  type: z.literal('FeatureCollection'),
  features: z.array(AssetFeature),
  attribution: z.string(),
});
export type AssetCollection = z.infer<typeof AssetCollection>;

/** A catalogue entry as the rest of the hub sees it. */
export interface AssetRef { id: string; kind: Kind; name: string }

/** Attribution every view of the catalogue must show. */
export const ATTRIBUTION =
  'Road links and detectors: CERTH-HIT / iMET open data (iTravel). Municipality boundaries (the map\'s land): geodata.gov.gr. ' +
  'Venue coordinates: Wikipedia contributors (CC BY-SA), thessaloniki.travel, religiousgreece.gr, seadex.safecube.ai. ' +
  'Hotspots, building use, floor areas and all readings are simulated.';
