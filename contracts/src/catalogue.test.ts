import { describe, expect, it } from 'vitest';
import { AssetCollection } from './assets.js';
import { assetsOfKind, findAsset, freeFlowKmh, lineLengthM, loadBoundary, loadCatalogue } from './catalogue.js';

describe('the Thessaloniki catalogue', () => {
  const cat = loadCatalogue();

  it('validates against its own schema, with unique stable ids', () => {
    expect(() => AssetCollection.parse(cat)).not.toThrow();
    const ids = cat.features.map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(findAsset('link-1')?.properties.kind).toBe('traffic');
  });

  it('has the 178 iMET paths as links with a length from their geometry', () => {
    const links = assetsOfKind('traffic');
    expect(links).toHaveLength(178);
    for (const l of links) {
      if (l.properties.kind !== 'traffic' || l.geometry.type !== 'LineString') throw new Error('not a link');
      expect(l.id).toBe(`link-${l.properties.path_id}`);
      const [a, b] = [l.geometry.coordinates[0]!, l.geometry.coordinates.at(-1)!];
      // A road path is never shorter than the straight line between its ends.
      expect(l.properties.length_m).toBeGreaterThanOrEqual(Math.floor(lineLengthM([a, b])));
      expect([50, 80]).toContain(l.properties.free_flow_kmh);
    }
  });

  it('computes great-circle lengths', () => {
    // One degree of latitude is about 111.2 km.
    expect(lineLengthM([[22.9, 40], [22.9, 41]])).toBeCloseTo(111_195, -2);
  });

  it('classes roads for free-flow speed from their names', () => {
    expect(freeFlowKmh('Ag. Pavlos Hospital - Ring Road to Panorama')).toBe(80);
    expect(freeFlowKmh('Aristotelous - P.Dimokratias')).toBe(50);
  });

  it('places hotspots and buildings at the real venues and marks what is simulated', () => {
    const hotspots = assetsOfKind('wifi');
    const buildings = assetsOfKind('energy');
    expect(hotspots).toHaveLength(20);
    expect(buildings).toHaveLength(14);
    for (const f of [...hotspots, ...buildings]) {
      const [lon, lat] = f.geometry.coordinates as [number, number];
      expect(lon).toBeGreaterThan(22.85);
      expect(lon).toBeLessThan(23.05);
      expect(lat).toBeGreaterThan(40.55);
      expect(lat).toBeLessThan(40.70);
      expect(f.properties).toMatchObject({ simulated: true });
    }
    expect(buildings.map((b) => b.id)).not.toContain('building-arch-of-galerius');
  });

  it('ships the municipality boundary with its outer ring counter-clockwise (RFC 7946 §3.1.6)', () => {
    const b = loadBoundary() as { type: string; features: Array<{ geometry: { type: string; coordinates: number[][][] } }> };
    expect(b.type).toBe('FeatureCollection');
    const [outer, ...holes] = b.features[0]!.geometry.coordinates;
    // Twice the signed area (shoelace formula): positive when the ring turns counter-clockwise.
    const area2 = (ring: number[][]) => ring.slice(1).reduce((a, p, i) => a + ring[i]![0]! * p[1]! - p[0]! * ring[i]![1]!, 0);
    expect(area2(outer!)).toBeGreaterThan(0);
    for (const h of holes) expect(area2(h)).toBeLessThan(0);
    expect(outer![0]).toEqual(outer![outer!.length - 1]);
  });
});
