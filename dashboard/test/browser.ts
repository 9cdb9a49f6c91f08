/**
 * Debian's Chromium driven by playwright-core: headless, WebGL2 on SwiftShader (`--enable-unsafe-swiftshader`, no
 * GPU), a throwaway profile directory given to launchPersistentContext (playwright-core's browser type throws on
 * `--user-data-dir` in args: "Pass userDataDir parameter to 'BrowserType.launchPersistentContext(userDataDir, …)'").
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--enable-unsafe-swiftshader',
];

export interface Browser { context: BrowserContext; page: Page; close(): Promise<void> }

/** Opens Chromium at 1280×800 with a fresh profile; `close()` also removes the profile. */
export async function openBrowser(): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'cityhub-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * The RGB of every pixel in a square of `radius` around page point (x, y), read from a real screenshot of
 * that square.
 */
export async function pixelsAround(page: Page, x: number, y: number, radius: number): Promise<[number, number, number][]> {
  const size = radius * 2 + 1;
  return pixelsIn(page, { x: Math.round(x) - radius, y: Math.round(y) - radius, width: size, height: size });
}

/**
 * The RGB of the pixels of page rectangle `clip`, every `every`-th one each way, read from a real screenshot of it
 * (decoded by the page itself: no PNG library needed).
 */
export async function pixelsIn(page: Page, clip: { x: number; y: number; width: number; height: number }, every = 1): Promise<[number, number, number][]> {
  const png = await page.screenshot({ clip });
  const data = await page.evaluate(async ({ b64, every }) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const canvas = new OffscreenCanvas(img.naturalWidth, img.naturalHeight);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2d context');
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, img.naturalWidth, img.naturalHeight).data;
    const out: number[] = [];
    for (let y = 0; y < img.naturalHeight; y += every) {
      for (let x = 0; x < img.naturalWidth; x += every) {
        const i = (y * img.naturalWidth + x) * 4;
        out.push(d[i]!, d[i + 1]!, d[i + 2]!);
      }
    }
    return out;
  }, { b64: png.toString('base64'), every });
  const out: [number, number, number][] = [];
  for (let i = 0; i + 2 < data.length; i += 3) out.push([data[i]!, data[i + 1]!, data[i + 2]!]);
  return out;
}
