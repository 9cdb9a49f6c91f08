import { describe, expect, it } from 'vitest';
import { BUILDING, COLLECTION, HOTSPOT, LINK } from '../../test/fixtures/assets.js';
import { AssetIndex, bboxOfGeoJson, boundsOf, midpointOf, ratioOf } from './assets.js';

describe('ratioOf', () => {
  it('is speed over free-flow speed for a link', () => {
    expect(ratioOf(LINK.properties, { speed_kmh: 5 })).toBeCloseTo(0.1);
    expect(ratioOf(LINK.properties, { speed_kmh: 60 })).toBeCloseTo(1.2);
  });
  it('is clients over capacity, power over limit', () => {
    expect(ratioOf(HOTSPOT.properties, { clients: 100 })).toBeCloseTo(0.25);
    expect(ratioOf(BUILDING.properties, { power_kw: 48 })).toBeCloseTo(0.5);
  });
  it('is null without the primary metric', () => {
    expect(ratioOf(LINK.properties, { flow_veh_h: 900 })).toBeNull();
    expect(ratioOf(HOTSPOT.properties, {})).toBeNull();
  });
});

describe('AssetIndex', () => {
  const index = new AssetIndex([COLLECTION]);
  it('finds assets by id and says which are missing', () => {
    expect(index.size).toBe(3);
    expect(index.get('building-rotunda')).toEqual(BUILDING);
    expect(index.find('link-999')).toBeUndefined();
    expect(() => index.get('link-999')).toThrow(expect.objectContaining({ code: 'UNKNOWN_ASSET' }));
  });
});

describe('geometry helpers', () => {
  it('bounds every coordinate of lines and points', () => {
    expect(boundsOf([LINK, HOTSPOT])).toEqual([22.94, 40.63, 22.95, 40.64]);
    expect(boundsOf([])).toBeNull();
  });
  it('bounds any GeoJSON, a multipolygon boundary included', () => {
    const boundary = { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { name: 'x' }, geometry: {
      type: 'MultiPolygon', coordinates: [[[[22.9, 40.6], [23.0, 40.6], [22.95, 40.7], [22.9, 40.6]]], [[[22.8, 40.65], [22.85, 40.65], [22.8, 40.66], [22.8, 40.65]]]],
    } }] };
    expect(bboxOfGeoJson(boundary)).toEqual([22.8, 40.6, 23.0, 40.7]);
    expect(bboxOfGeoJson({ type: 'FeatureCollection', features: [] })).toBeNull();
  });
  it('finds the point halfway along a line by length', () => {
    const [x, y] = midpointOf(LINK);
    expect(x).toBeCloseTo(22.95);
    expect(y).toBeCloseTo(40.63);
    expect(midpointOf(HOTSPOT)).toEqual([22.9405, 40.6325]);
  });
});
