import type { AssetFeature } from '@cityhub/contracts';
import { HOTSPOT_COLOUR, INTENSITY_RAMP, LOAD_RAMP, NO_DATA_COLOUR, OFFLINE_FILL, OFFLINE_MARK, rampGradientCss, SEVERITY_COLOUR, SPEED_RAMP, SPEED_WORDS } from '../model/colour.js';
import { el } from './dom.js';
import type { LiveStatus } from '../data/live.js';
import { LAYER_GROUPS } from '../map/style.js';
import type { LayerGroup } from '../map/style.js';
import type { BuildingMode } from '../page/url-state.js';

/** Check boxes, one per layer group, on unless `hidden`; `onToggle` gets the group and its new state. */
export function renderLayerToggles(box: HTMLElement, hidden: readonly LayerGroup[], onToggle: (group: LayerGroup, on: boolean) => void): void {
  const legend = document.createElement('legend');
  legend.textContent = 'Layers';
  box.append(legend);
  for (const [group, { label }] of Object.entries(LAYER_GROUPS) as [LayerGroup, { label: string }][]) {
    const id = `layer-${group}`;
    const input = document.createElement('input');
    input.type = 'checkbox';
    input.id = id;
    input.checked = !hidden.includes(group);
    input.dataset.group = group;
    input.addEventListener('change', () => onToggle(group, input.checked));
    const lab = document.createElement('label');
    lab.htmlFor = id;
    lab.textContent = label;
    const row = document.createElement('div');
    row.className = 'toggle';
    row.append(input, lab);
    box.append(row);
  }
}

const MODE_TEXT: Record<BuildingMode, string> = { load: 'Power ÷ limit', intensity: 'kWh/m², last 24 h' };

/** Radio buttons choosing how buildings are coloured. */
export function renderBuildingMode(box: HTMLElement, mode: BuildingMode, onPick: (m: BuildingMode) => void): void {
  const legend = el('legend', undefined, 'Colour buildings by');
  box.append(legend);
  for (const m of Object.keys(MODE_TEXT) as BuildingMode[]) {
    const input = el('input');
    input.type = 'radio';
    input.name = 'building-mode';
    input.id = `buildings-${m}`;
    input.value = m;
    input.checked = m === mode;
    input.addEventListener('change', () => {
      if (input.checked) onPick(m);
    });
    const lab = el('label', undefined, MODE_TEXT[m]);
    lab.htmlFor = input.id;
    const row = el('div', 'toggle');
    row.append(input, lab);
    box.append(row);
  }
}

function legendRow(label: string, swatch: HTMLElement, ticks?: string[]): HTMLElement {
  const row = el('div', 'legend-row');
  row.append(el('div', 'legend-label', label), swatch);
  if (ticks) {
    const t = el('div', 'legend-ticks');
    for (const s of ticks) t.append(el('span', undefined, s));
    row.append(t);
  }
  return row;
}

function bar(gradient: string): HTMLElement {
  const b = el('div', 'legend-bar');
  b.style.background = gradient;
  return b;
}

function dots(items: [string, string, number, string?][]): HTMLElement {
  const d = el('div', 'legend-dots');
  for (const [label, colour, size, cls] of items) {
    const s = el('span', `legend-dot${cls ? ` ${cls}` : ''}`, label);
    s.style.setProperty('--dot', colour);
    s.style.setProperty('--size', `${size}px`);
    d.append(s);
  }
  return d;
}

/** The legend: what colours and sizes mean, from the same ramps the map uses; buildings by the chosen mode. */
export function renderLegend(box: HTMLElement, mode: BuildingMode): void {
  const offline = el('div', 'legend-dots');
  const line = el('span', 'legend-offline-line');
  line.style.setProperty('--mark', OFFLINE_MARK);
  line.style.setProperty('--fill', OFFLINE_FILL);
  offline.append(line, dots([['offline: no reading for 3× its usual interval', OFFLINE_FILL, 12, 'legend-dot-offline']]));
  const speed = legendRow('Road speed, % of free-flow', bar(rampGradientCss(SPEED_RAMP)), ['0', '25', '50', '75', '≥100']);
  // The colours in words, where they fall on the bar.
  const words = el('div', 'legend-words');
  for (const [at, word] of SPEED_WORDS) {
    const w = el('span', undefined, word);
    w.style.left = `${at * 100}%`;
    words.append(w);
  }
  speed.append(words);
  box.replaceChildren(
    el('h2', undefined, 'Legend'),
    speed,
    legendRow('Wi-Fi clients (circle area)', dots([['10', HOTSPOT_COLOUR, 10], ['100', HOTSPOT_COLOUR, 18], ['400', HOTSPOT_COLOUR, 30]])),
    mode === 'load'
      ? legendRow('Building power, % of limit', bar(rampGradientCss(LOAD_RAMP)), ['0', '50', '100'])
      : legendRow('Building energy, kWh/m² in 24 h', bar(rampGradientCss(INTENSITY_RAMP)), ['0', '0.4', '0.8', '1.2', '≥1.6']),
    legendRow('', dots([['no data: the hub has no reading', NO_DATA_COLOUR, 12]])),
    legendRow('', offline),
    legendRow('Open alerts (ring or halo)', dots([
      ['critical', SEVERITY_COLOUR.critical, 12, 'legend-dot-ring'], ['warning', SEVERITY_COLOUR.warning, 12, 'legend-dot-ring'],
      ['info', SEVERITY_COLOUR.info, 12, 'legend-dot-ring'],
    ])),
  );
}

const STATUS_TEXT: Record<LiveStatus, string> = {
  connecting: 'Connecting…',
  open: 'Live feed',
  reconnecting: 'Reconnecting…',
  closed: 'Live feed off',
};

/** Shows the live connection's state; `lostSince` (epoch ms): the feed is down since then, the map is polled. */
export function showStatus(el: HTMLElement, status: LiveStatus, lostSince: number | null = null): void {
  const lost = status !== 'open' && lostSince !== null;
  el.dataset.status = lost ? 'lost' : status;
  el.textContent = lost ? 'Live feed lost · polling' : STATUS_TEXT[status];
}

/** The text of an asset's search option: its name with its id in brackets, which `pickedId` reads back. */
export function optionText(f: AssetFeature): string {
  return `${f.properties.name} [${f.id}]`;
}

/** The asset id in a search box's value, if it holds one of `optionText`'s strings or a bare id. */
export function pickedId(value: string, has: (id: string) => boolean): string | null {
  const m = /\[([^\]]+)\]\s*$/.exec(value);
  const id = (m ? m[1]! : value).trim();
  return has(id) ? id : null;
}

/** Fills the search list with every asset; picking one calls `onPick` with its id. */
export function renderSearch(input: HTMLInputElement, list: HTMLDataListElement, assets: readonly AssetFeature[],
  has: (id: string) => boolean, onPick: (id: string) => void): void {
  list.replaceChildren(...assets.map((f) => Object.assign(document.createElement('option'), { value: optionText(f) })));
  const pick = () => {
    const id = pickedId(input.value, has);
    if (id) onPick(id);
  };
  input.addEventListener('change', pick);
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') pick();
  });
}
