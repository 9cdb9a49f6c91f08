import type { Api } from '../data/api.js';
import { showError } from '../page/chrome.js';
import type { StyleSpecification } from './style.js';

/**
 * The basemap style the hub's configuration names (`basemapStyle` of `GET /api/v1/config`), or null for the
 * offline map: when there is no style, or the style cannot be read (then the page says so and goes on without it).
 */
export async function loadBasemap(api: Api, styleUrl: string | null): Promise<StyleSpecification | null> {
  if (!styleUrl) return null;
  try {
    return await api.basemap(styleUrl);
  } catch (e) {
    showError(`The basemap could not be loaded (${(e as Error).message}); showing the offline map.`);
    return null;
  }
}
