import { describe, expect, it } from 'vitest';
import { COLLECTION } from '../../test/fixtures/assets.js';
import { buildStyle, LABEL_FONT, LAYER_GROUPS, mergeBasemap } from './style.js';
import type { StyleSpecification } from './style.js';

const data = { boundary: { type: 'FeatureCollection', features: [] }, links: COLLECTION, hotspots: COLLECTION, buildings: COLLECTION };

describe('buildStyle', () => {
  // The browser suite loads these styles with MapLibre's validation on; here, their shape.
  it('is an offline style with no remote resource', () => {
    const style = buildStyle(data);
    expect(style.version).toBe(8);
    expect(JSON.stringify(style)).not.toMatch(/https?:/);
    expect(style.layers[0]?.id).toBe('background');
  });

  it('draws the city over a basemap, renaming what clashes', () => {
    const base: StyleSpecification = {
      version: 8, glyphs: 'https://tiles.example/fonts/{fontstack}/{range}.pbf',
      sources: { osm: { type: 'raster', tiles: ['https://tiles.example/{z}/{x}/{y}.png'], tileSize: 256 }, links: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } } },
      layers: [
        { id: 'background', type: 'background', paint: { 'background-color': '#ffffff' } },
        { id: 'osm', type: 'raster', source: 'osm' },
        { id: 'links', type: 'line', source: 'links' },
      ],
    };
    const style = buildStyle(data, { basemap: base });
    expect(style.glyphs).toBe(base.glyphs);
    expect(Object.keys(style.sources)).toEqual(['osm', 'base-links', 'boundary', 'links', 'hotspots', 'buildings', 'alerts']);
    const ids = style.layers.map((l) => l.id);
    expect(ids.slice(0, 3)).toEqual(['background', 'osm', 'base-links']);
    expect(style.layers[2]).toMatchObject({ source: 'base-links' });
    // The city's own background and land are left out, its roads, hotspots and buildings come last.
    expect(ids.filter((i) => i === 'background')).toHaveLength(1);
    expect(ids).not.toContain('boundary-fill');
    expect(ids.slice(-3)).toEqual(['hotspots-offline', 'buildings', 'buildings-offline']);
    expect(mergeBasemap(base, {}, []).layers).toHaveLength(3);
  });

  it('draws the land over the sea and the links\' names over the links, in the font it declares', () => {
    const fontFaces = { [LABEL_FONT]: [{ url: 'http://hub.test/assets/font.woff2', 'unicode-range': ['U+0000-00FF'] }] };
    const style = buildStyle(data, { land: 'http://hub.test/assets/land.geojson', fontFaces });
    const ids = style.layers.map((l) => l.id);
    expect(ids.slice(0, 3)).toEqual(['background', 'land', 'boundary-fill']);
    expect(style.sources.land).toEqual({ type: 'geojson', data: 'http://hub.test/assets/land.geojson' });
    expect(ids.indexOf('link-labels')).toBe(ids.indexOf('links-offline') + 1);
    expect(ids.indexOf('link-labels')).toBeLessThan(ids.indexOf('hotspots'));
    expect(style.layers[ids.indexOf('link-labels')]).toMatchObject({ type: 'symbol', source: 'links', layout: { 'text-font': [LABEL_FONT] } });
    expect(style['font-faces']).toEqual(fontFaces);
    // Hiding the roads hides their names.
    expect(LAYER_GROUPS.roads.layers).toContain('link-labels');
    // No land given: the sea and the municipality only.
    expect(buildStyle(data).layers.map((l) => l.id).slice(0, 2)).toEqual(['background', 'boundary-fill']);
  });

  it('leaves the sea and land out over a basemap, keeping the names and adding their font to the basemap\'s', () => {
    const base: StyleSpecification = {
      version: 8, sources: {}, layers: [{ id: 'paper', type: 'background' }],
      'font-faces': { Other: 'http://hub.test/other.woff2' },
    };
    const fontFaces = { [LABEL_FONT]: 'http://hub.test/font.woff2' };
    const style = buildStyle(data, { basemap: base, land: 'http://hub.test/land.geojson', fontFaces });
    expect(style.sources).not.toHaveProperty('land');
    expect(style.layers.map((l) => l.id)).not.toContain('land');
    expect(style.layers.map((l) => l.id)).toContain('link-labels');
    expect(style['font-faces']).toEqual({ Other: 'http://hub.test/other.woff2', [LABEL_FONT]: 'http://hub.test/font.woff2' });
  });

  it('puts alert halos under the links\' casing and alert rings under the points, so neither hides an asset', () => {
    const ids = buildStyle(data).layers.map((l) => l.id);
    expect(ids.indexOf('alerts-lines')).toBe(ids.indexOf('links-casing') - 1);
    expect(ids.indexOf('alerts-points')).toBeGreaterThan(ids.indexOf('links-offline'));
    expect(ids.indexOf('alerts-points')).toBeLessThan(ids.indexOf('hotspots'));
  });
});
