import type { AssetFeature } from '@cityhub/contracts';
import { formatAge, formatValue, metricLabel } from './format.js';
import type { AssetReading } from './state.js';

/** The text of an asset's tooltip: a title and label/value rows. */
export interface TooltipContent { title: string; rows: [string, string][] }

/** What the tooltip says about an asset and its newest reading (if any), at time `now` (ms). */
export function tooltipContent(asset: AssetFeature, reading: AssetReading | undefined, now: number): TooltipContent {
  const p = asset.properties;
  const rows: [string, string][] = [];
  if (reading) {
    for (const [m, v] of Object.entries(reading.values)) rows.push([metricLabel(m), formatValue(m, v)]);
  } else {
    rows.push(['Reading', 'none yet']);
  }
  switch (p.kind) {
    case 'traffic': rows.push(['Free-flow speed', `${formatValue('speed_kmh', p.free_flow_kmh)} (assumed)`]); break;
    case 'wifi': rows.push(['Capacity', `${p.capacity} clients`]); break;
    case 'energy': rows.push(['Power limit', formatValue('power_kw', p.power_limit_kw)]); break;
  }
  if (reading) rows.push(['Updated', formatAge(reading.ts, now)]);
  return { title: p.name, rows };
}

/** Fills `el` with a title and a table of rows, as text (asset names are data, never markup). */
export function renderRows(el: HTMLElement, content: TooltipContent): void {
  const title = document.createElement('strong');
  title.textContent = content.title;
  const table = document.createElement('table');
  for (const [k, v] of content.rows) {
    const tr = table.insertRow();
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
