import { WEEKDAY_LABELS } from '@cityhub/contracts';
import { DIFF_RAMP, NO_DATA_COLOUR, rampColour, rampGradientCss, SPEED_RAMP } from '../model/colour.js';
import { el } from '../ui/dom.js';
import { formatNumber } from '../ui/format.js';

const HOURS = Array.from({ length: 24 }, (_, h) => h);

/** Black or white, whichever reads better on `hex`. */
function inkOn(hex: string): string {
  const n = Number.parseInt(hex.slice(1), 16);
  const lum = 0.299 * ((n >> 16) & 255) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255);
  return lum > 140 ? '#1d232a' : '#ffffff';
}

/**
 * A 7 × 24 table of a link's mean speed by local hour of the week, each cell coloured by speed over free-flow
 * speed on the map's ramp (so a colour means the same here and on the map), with the value as text; or, with
 * `diff`, of speed differences (km/h) on a diverging ramp. The cell of the dashboard's moment is outlined.
 * Followed by its legend.
 */
export function renderHeatmap(grid: readonly (readonly (number | null)[])[], freeFlowKmh: number, current: { dow: number; hour: number } | null,
  diff = false): HTMLElement {
  const box = el('div', 'heatmap-wrap');
  const table = el('table', 'heatmap');
  table.append(el('caption', 'visually-hidden', diff ? 'Speed difference from the usual week by weekday and hour, km/h' : 'Mean speed by weekday and hour, km/h (Thessaloniki time)'));
  const head = el('tr');
  // With a fixed table layout the first row sets the column widths: the corner cell carries the day column's.
  head.append(el('th', 'hm-day'));
  for (const h of HOURS) {
    const th = el('th', 'hm-hour', h % 3 === 0 ? String(h).padStart(2, '0') : '');
    th.scope = 'col';
    th.setAttribute('aria-label', `${String(h).padStart(2, '0')}:00`);
    head.append(th);
  }
  const thead = el('thead');
  thead.append(head);
  const body = el('tbody');
  grid.forEach((row, d) => {
    const tr = el('tr');
    const th = el('th', 'hm-day', WEEKDAY_LABELS[d] ?? '');
    th.scope = 'row';
    tr.append(th);
    row.forEach((v, h) => {
      const td = el('td', 'hm-cell');
      const colour = v === null ? NO_DATA_COLOUR : diff ? rampColour(DIFF_RAMP, v) : rampColour(SPEED_RAMP, v / freeFlowKmh);
      td.style.background = v === null ? 'transparent' : colour;
      td.style.color = inkOn(colour);
      td.textContent = v === null ? '' : `${diff && v > 0 ? '+' : ''}${formatNumber(v)}`;
      td.title = `${WEEKDAY_LABELS[d]} ${String(h).padStart(2, '0')}:00 — ${v === null ? 'no data' : `${diff && v > 0 ? '+' : ''}${formatNumber(v, 1)} km/h`}`;
      td.dataset.dow = String(d);
      td.dataset.hour = String(h);
      if (current && current.dow === d && current.hour === h) td.classList.add('hm-now');
      tr.append(td);
    });
    body.append(tr);
  });
  table.append(thead, body);
  const legend = el('div', 'heatmap-legend');
  const bar = el('span', 'legend-bar');
  bar.style.background = rampGradientCss(diff ? DIFF_RAMP : SPEED_RAMP);
  legend.append(el('span', undefined, diff ? 'slower −20 km/h' : '0 %'), bar, el('span', undefined, diff ? '+20 km/h faster' : '≥100 % of free-flow speed'));
  box.append(table, legend);
  return box;
}
