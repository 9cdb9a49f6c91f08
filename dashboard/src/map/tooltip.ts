import type { AssetFeature } from '@cityhub/contracts';
import type { Shown } from '../ui/display.js';
import { city } from '../time/city.js';
import { formatAgeMs, formatValue, metricLabel } from '../ui/format.js';

/** The text of an asset's tooltip: a title and label/value rows. */
export interface TooltipContent { title: string; rows: [string, string][] }

/**
 * Rows for what an asset shows at moment `at` (ms): its values, "offline", and how old the reading is (live)
 * or when it was read (in the past, where "ago" would mislead).
 */
export function shownRows(shown: Shown | null, at: number, live = true): [string, string][] {
  // Without a reading the hub has no data on the asset (never heard from, or before the retained history).
  if (!shown) return [['Reading', 'no data']];
  const rows: [string, string][] = [];
  if (shown.offline) rows.push(['Status', 'offline']);
  for (const [m, v] of Object.entries(shown.values)) rows.push([metricLabel(m), formatValue(m, v)]);
  if (shown.ts !== null) {
    rows.push(live ? [shown.offline ? 'Last reading' : 'Updated', formatAgeMs(shown.ts, at)] : [shown.offline ? 'Last reading' : 'Read at', city().format(shown.ts)]);
  }
  return rows;
}

/** What the tooltip says about an asset and what it shows (if anything) at moment `at` (ms). */
export function tooltipContent(asset: AssetFeature, shown: Shown | null, at: number, live = true): TooltipContent {
  const p = asset.properties;
  const rows = shownRows(shown, at, live);
  const age = rows.findIndex(([k]) => k === 'Updated' || k === 'Last reading' || k === 'Read at');
  const ref: [string, string] = p.kind === 'traffic' ? ['Free-flow speed', `${formatValue('speed_kmh', p.free_flow_kmh)} (assumed)`]
    : p.kind === 'wifi' ? ['Capacity', `${p.capacity} clients`] : ['Power limit', formatValue('power_kw', p.power_limit_kw)];
  rows.splice(age >= 0 ? age : rows.length, 0, ref);
  return { title: p.name, rows };
}

/** Fills `el` with a title and a table of rows, as text (asset names are data, never markup). */
export function renderRows(el: HTMLElement, content: TooltipContent): void {
  const title = document.createElement('strong');
  title.textContent = content.title;
  const table = document.createElement('table');
  for (const [k, v] of content.rows) {
    const tr = table.insertRow();
    if (k === 'Status' || k === 'Alert') tr.className = 'row-offline';
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = k;
    tr.appendChild(th);
    tr.insertCell().textContent = v;
  }
  el.replaceChildren(title, table);
}

/** The hover tooltip: an HTML box that follows the pointer over the map. */
export class Tooltip {
  constructor(private readonly el: HTMLElement) {}

  /** Shows `content` near `x, y` (pixels inside the map container), kept within it. */
  show(content: TooltipContent, x: number, y: number): void {
    renderRows(this.el, content);
    this.el.hidden = false;
    const parent = this.el.offsetParent as HTMLElement | null;
    const maxX = (parent?.clientWidth ?? window.innerWidth) - this.el.offsetWidth - 8;
    const maxY = (parent?.clientHeight ?? window.innerHeight) - this.el.offsetHeight - 8;
    this.el.style.left = `${Math.max(8, Math.min(x + 14, maxX))}px`;
    this.el.style.top = `${Math.max(8, Math.min(y + 14, maxY))}px`;
  }

  hide(): void {
    this.el.hidden = true;
  }
}
