/**
 * Street context with nothing fetched from anywhere but the hub: at the city centre, at a street zoom, the map
 * draws the sea (its background), the land over it (the municipalities of the urban area, see
 * contracts/data/thessaloniki/SOURCES.md) and the links' names along them, in a font file the hub serves.
 */
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { AssetCollection } from '@cityhub/contracts';
import { startHub } from '../../test/harness.js';
import type { TestHub } from '../../test/harness.js';
import { BACKGROUND_COLOUR, LABEL_MIN_ZOOM, LAND_COLOUR } from '../src/map/style.js';
import { colourDistance } from '../src/model/colour.js';
import type {} from '../src/page/test-hook.js';
import { openBrowser, pixelsIn } from './browser.js';
import type { Browser } from './browser.js';
import { ensureBuilt } from './build.js';
import { settled } from './probe.js';
import { SHOTS, shoot } from './shots.js';

/** A street zoom: the names are drawn from LABEL_MIN_ZOOM on. */
const ZOOM = 15;

/** Share of the map's pixels (every other one each way) within a small RGB distance of each colour. */
async function colourShares(page: Page, colours: string[]): Promise<number[]> {
  const px = await pixelsIn(page, (await page.locator('#map').boundingBox())!, 2);
  return colours.map((c) => px.filter((p) => colourDistance(p, c) < 6).length / px.length);
}

describe('the map at the city centre', () => {
  let hub: TestHub;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    await ensureBuilt();
    [hub, browser] = await Promise.all([startHub({ simulate: 0 }), openBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
  });

  it('shows the sea, the land and the links\' names, fetching nothing from anywhere but the hub', async () => {
    const { page } = browser;
    const offsite: string[] = [];
    const fonts: string[] = [];
    page.on('request', (r) => {
      const url = r.url();
      if (!url.startsWith(hub.httpUrl) && !/^(data|blob):/.test(url)) offsite.push(url);
      if (/\.(woff2?|ttf|otf|pbf)(\?|$)/.test(url)) fonts.push(url);
    });
    const links = (await hub.get<AssetCollection>('/api/v1/assets?kind=traffic')).body.features;
    // The city centre: Aristotelous Square, a few hundred metres from the waterfront (its venue's coordinate).
    const square = (await hub.get<AssetCollection>('/api/v1/assets?kind=wifi')).body.features
      .find((f) => f.id === 'hotspot-aristotelous-square')!.geometry.coordinates as [number, number];
    expect(ZOOM).toBeGreaterThanOrEqual(LABEL_MIN_ZOOM);
    await page.goto(`${hub.httpUrl}/?map=${ZOOM}/${square[1]}/${square[0]}`);
    await page.waitForFunction(() => window.__cityhub !== undefined);
    await page.evaluate(() => window.__cityhub!.ready);
    await settled(page);
    // Glyphs are drawn once their font file has loaded: wait until some name is placed.
    await page.waitForFunction(() => window.__cityhub!.map.queryRenderedFeatures({ layers: ['link-labels'] }).length > 0, undefined, { timeout: 20_000 });
    await settled(page);

    const drawn = await page.evaluate(() => {
      const { map } = window.__cityhub!;
      return {
        land: map.queryRenderedFeatures({ layers: ['land'] }).map((f) => String(f.properties.name)),
        labels: map.queryRenderedFeatures({ layers: ['link-labels'] }).map((f) => String(f.properties.name)),
      };
    });
    // The centre lies in the municipality of Thessaloniki; its land is drawn, as are several links' names.
    expect(drawn.land).toContain('Thessalonikis');
    const names = new Set(links.map((f) => f.properties.name));
    expect(new Set(drawn.labels).size).toBeGreaterThanOrEqual(2);
    for (const l of drawn.labels) expect(names.has(l), l).toBe(true);
    // Both the gulf and the city fill a good part of the map: its pixels are in the sea's and the land's colours.
    const [sea, land] = await colourShares(page, [BACKGROUND_COLOUR, LAND_COLOUR]);
    expect(sea, 'share of the map in the sea colour').toBeGreaterThan(0.1);
    expect(land, 'share of the map in the land colour').toBeGreaterThan(0.2);
    // The names are drawn from a font file, fetched from the hub like everything else.
    expect(fonts.length).toBeGreaterThan(0);
    expect(fonts.every((u) => u.startsWith(hub.httpUrl)), fonts.join(', ')).toBe(true);
    expect(offsite).toEqual([]);

    await shoot(page, 'street-context');
  });
});
