/** Page-side helpers: where an asset is drawn alone, and what colour is there. */
import type { Page } from 'playwright-core';
import type {} from '../src/page/test-hook.js';
import { colourDistance } from '../src/model/colour.js';
import { pixelsAround } from './browser.js';

/** A pixel this close to a ring's colour counts as drawn in it. */
const RING_HIT = 60;

/**
 * A page point on the asset where, within `slop` pixels, no other asset is drawn and no control, panel or
 * bar covers the map: its pixels there are its own. Null when the asset has no such point in view.
 */
export async function isolatedPoint(page: Page, id: string, slop = 6): Promise<{ x: number; y: number } | null> {
  return page.evaluate(({ id, slop }) => {
    const { map } = window.__cityhub!;
    const box = map.getContainer().getBoundingClientRect();
    const covered = [...document.querySelectorAll('.controls, .maplibregl-ctrl, .panel:not([hidden]), .tooltip:not([hidden])')]
      .map((e) => e.getBoundingClientRect());
    const layers = ['links', 'hotspots', 'buildings'];
    const features = map.queryRenderedFeatures({ layers }).filter((f) => String(f.id) === id);
    for (const f of features) {
      const g = f.geometry as { type: string; coordinates: unknown };
      const candidates: [number, number][] = [];
      if (g.type === 'Point') candidates.push(g.coordinates as [number, number]);
      else if (g.type === 'LineString') {
        const c = g.coordinates as [number, number][];
        // Points along every segment (not only its middle): a link crossed or paralleled near its middle by another is
        // still found where it runs alone.
        for (let i = 1; i < c.length; i++) {
          for (const f of [0.5, 0.375, 0.625, 0.25, 0.75]) {
            candidates.push([c[i - 1]![0] + (c[i]![0] - c[i - 1]![0]) * f, c[i - 1]![1] + (c[i]![1] - c[i - 1]![1]) * f]);
          }
        }
      }
      for (const ll of candidates) {
        const p = map.project(ll);
        const x = box.left + p.x, y = box.top + p.y;
        if (p.x < 20 || p.y < 20 || p.x > box.width - 20 || p.y > box.height - 20) continue;
        if (covered.some((r) => x > r.left - 10 && x < r.right + 10 && y > r.top - 10 && y < r.bottom + 10)) continue;
        const hits = map.queryRenderedFeatures([[p.x - slop, p.y - slop], [p.x + slop, p.y + slop]], { layers });
        if (hits.length > 0 && hits.every((h) => String(h.id) === id)) return { x, y };
      }
    }
    return null;
  }, { id, slop });
}

/** The pixels around an asset's isolated point (throws when it has none). */
export async function pixelsOf(page: Page, id: string, radius = 2): Promise<[number, number, number][]> {
  const p = await isolatedPoint(page, id);
  if (!p) {
    const seen = await page.evaluate((id) => {
      const { map } = window.__cityhub!;
      const drawn = map.queryRenderedFeatures({ layers: ['links', 'hotspots', 'buildings'] }).filter((f) => String(f.id) === id).length;
      const covers = [...document.querySelectorAll('.controls, .maplibregl-ctrl, .panel:not([hidden]), .tooltip:not([hidden])')]
        .map((e) => `${e.className}@${Math.round(e.getBoundingClientRect().width)}x${Math.round(e.getBoundingClientRect().height)}`);
      return `${drawn} pieces drawn; covered by ${covers.join(', ')}`;
    }, id);
    throw new Error(`${id} is not drawn alone anywhere in view (${seen}): pick another asset for this case`);
  }
  return pixelsAround(page, p.x, p.y, radius);
}

/** An asset's feature-state on the map. */
export function stateOf(page: Page, id: string): Promise<Record<string, unknown> | null> {
  return page.evaluate((id) => window.__cityhub!.stateOf(id), id);
}

/** Waits until the dashboard has settled: fetches done, views updated, map idle. */
export async function settled(page: Page): Promise<void> {
  await page.evaluate(() => window.__cityhub!.settled());
}

/** Share of the pixels between `rIn` and `rOut` from a page point that are drawn in `hex`. */
export async function ringShare(page: Page, x: number, y: number, rIn: number, rOut: number, hex: string): Promise<number> {
  const r = rOut + 1;
  const size = 2 * r + 1;
  const px = await pixelsAround(page, x, y, r);
  let n = 0, hit = 0;
  px.forEach((p, i) => {
    const d = Math.hypot((i % size) - r, Math.floor(i / size) - r);
    if (d < rIn || d > rOut) return;
    n++;
    if (colourDistance(p, hex) < RING_HIT) hit++;
  });
  return hit / n;
}

/** Where an asset's point is on the page now. */
export async function pointOf(page: Page, coords: [number, number]): Promise<{ x: number; y: number }> {
  return page.evaluate((c) => {
    const { map } = window.__cityhub!;
    const box = map.getContainer().getBoundingClientRect();
    const p = map.project(c);
    return { x: box.left + p.x, y: box.top + p.y };
  }, coords);
}

/** The alerts drawn in one of the alert layers: asset and severity of each feature. */
export const renderedAlerts = (page: Page, layer: string) =>
  page.evaluate((layer) => window.__cityhub!.map.queryRenderedFeatures({ layers: [layer] })
    .map((f) => ({ asset: String(f.properties.asset), severity: String(f.properties.severity) })), layer);
