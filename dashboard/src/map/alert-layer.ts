import type { GeoJSONSource, Map as MapLibreMap } from 'maplibre-gl';
import type { Severity } from '@cityhub/contracts';
import { SEVERITY_RANK } from '../model/alerts.js';
import type { AlertView } from '../model/alerts.js';
import type { AssetIndex } from '../model/assets.js';

/** Ring radius around a building (its circle is 7 px, 9 when selected, plus its stroke). */
const BUILDING_RING_PX = 14;
/** Ring radius around a hotspot: outside its largest circle (20 px at 900 clients). */
const HOTSPOT_RING_PX = 24;

/** One asset with open alerts, as the map's `alerts` source holds it. */
export interface AlertFeature {
  type: 'Feature';
  id: string;
  geometry: { type: 'Point'; coordinates: [number, number] } | { type: 'LineString'; coordinates: [number, number][] };
  properties: { asset: string; severity: Severity; count: number; rules: string; radius: number };
}

/**
 * One feature per asset with open alerts, in the most severe one's severity, on the asset's own geometry.
 * Alerts on assets the page's catalogue lacks are left out (the hub and the page disagree; the list still shows them).
 */
export function alertFeatures(open: readonly AlertView[], assets: AssetIndex): AlertFeature[] {
  const byAsset = new Map<string, AlertView[]>();
  for (const a of open) byAsset.set(a.asset, [...(byAsset.get(a.asset) ?? []), a]);
  const out: AlertFeature[] = [];
  for (const [id, alerts] of byAsset) {
    const asset = assets.find(id);
    if (!asset) continue;
    const worst = alerts.reduce((w, a) => (SEVERITY_RANK[a.severity] > SEVERITY_RANK[w.severity] ? a : w));
    const g = asset.geometry;
    out.push({
      type: 'Feature',
      id,
      geometry: g.type === 'Point'
        ? { type: 'Point', coordinates: [g.coordinates[0], g.coordinates[1]] }
        : { type: 'LineString', coordinates: g.coordinates.map((c) => [c[0], c[1]] as [number, number]) },
      properties: {
        asset: id, severity: worst.severity, count: alerts.length, rules: [...new Set(alerts.map((a) => a.rule))].join(','),
        radius: asset.properties.kind === 'wifi' ? HOTSPOT_RING_PX : BUILDING_RING_PX,
      },
    });
  }
  // Drawn in order: the most severe on top where rings or halos overlap.
  return out.sort((a, b) => SEVERITY_RANK[a.properties.severity] - SEVERITY_RANK[b.properties.severity]);
}

/** The map's alert rings and halos: rewrites the small `alerts` source when the set of open alerts changes. */
export class AlertLayer {
  private shown = '';

  constructor(private readonly map: MapLibreMap, private readonly assets: AssetIndex) {}

  /** Draws these alerts (those open at the dashboard's moment); nothing is redrawn when the picture is the same. */
  show(open: readonly AlertView[]): void {
    const features = alertFeatures(open, this.assets);
    const key = JSON.stringify(features.map((f) => [f.id, f.properties.severity, f.properties.count]));
    if (key === this.shown) return;
    const source = this.map.getSource<GeoJSONSource>('alerts');
    if (!source) return;
    this.shown = key;
    void source.setData({ type: 'FeatureCollection', features });
  }
}
