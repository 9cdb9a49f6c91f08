/** Where the browser suites put their screenshots, and the README's (`docs/screenshots`), refreshed on purpose only. */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { DASHBOARD } from './build.js';

export const SHOTS = join(DASHBOARD, '..', 'test-results', 'dashboard');
export const DOCS = join(DASHBOARD, '..', 'docs', 'screenshots');
/** Docs screenshots are committed: keep each small. */
export const MAX_DOC_BYTES = 300 * 1024;

/**
 * Saves `test-results/dashboard/<name>.png`, the pointer parked off the map; with `docs`, also
 * `docs/screenshots/<docs>.png`, but only with UPDATE=1 (as the render cases do), never as a side effect of a run.
 */
export async function shoot(page: Page, name: string, docs?: string): Promise<void> {
  await page.mouse.move(2, 2);
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
  if (docs && process.env.UPDATE === '1') {
    const doc = join(DOCS, `${docs}.png`);
    await page.screenshot({ path: doc });
    expect(statSync(doc).size, `docs/screenshots/${docs}.png must stay under 300 KB`).toBeLessThan(MAX_DOC_BYTES);
  }
}
