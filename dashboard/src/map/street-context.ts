/**
 * What the offline style draws besides the city's own data, bundled by Vite into `dist/` and so served by the
 * hub with the dashboard (nothing is fetched from elsewhere):
 * - the land: the 11 municipalities of the Thessaloniki urban area (geodata.gov.gr, in
 *   `contracts/data/thessaloniki/`), whose outlines follow the shore of the Thermaic Gulf: drawn over the
 *   sea-coloured background, their union is the coastline (SOURCES.md there says how that was checked, and what
 *   the file does not cover);
 * - the font of the links' names: DejaVu Sans (the `@fontsource/dejavu-sans` package, 254 KB, under the fonts' own
 *   free licence: Bitstream Vera's, DejaVu's changes in the public domain), which MapLibre rasterises in the page
 *   (`font-faces`), so no glyph server is needed.
 */
import land from '@cityhub/contracts/data/thessaloniki/thessaloniki_regional_unit_municipalities.geojson?url';
import dejavu from '@fontsource/dejavu-sans/files/dejavu-sans-latin-400-normal.woff2?url';
import { LABEL_FONT } from './style.js';
import type { StyleSpecification } from './style.js';

/** Absolute: MapLibre's worker fetches the land, and a path alone would not resolve there. */
const onHub = (path: string) => new URL(path, window.location.href).href;

/** The land's GeoJSON on the hub. */
export function landUrl(): string {
  return onHub(land);
}

/** The labels' font file on the hub (fetched once a name is first drawn). */
export function labelFontFaces(): NonNullable<StyleSpecification['font-faces']> {
  return { [LABEL_FONT]: onHub(dejavu) };
}
