import type { AssetFeature } from '@cityhub/contracts';
import { HOTSPOT_COLOUR, LOAD_RAMP, NO_DATA_COLOUR, rampGradientCss, SPEED_RAMP } from './colour.js';
import type { LiveStatus } from './live.js';
import { LAYER_GROUPS } from './style.js';
import type { LayerGroup } from './style.js';

/** Check boxes, one per layer group, all on; `onToggle` gets the group and its new state. */
export function renderLayerToggles(box: HTMLElement, onToggle: (group: LayerGroup, on: boolean) => void): void {
  const legend = document.createElement('legend');
  legend.textContent = 'Layers';
  box.append(legend);
  for (const [group, { label }] of Object.entries(LAYER_GROUPS) as [LayerGroup, { label: string }][]) {
    const id = `layer-${group}`;
    const input = document.createElement('input');
    input.type = 'checkbox';
    input.id = id;
    input.checked = true;
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

function legendRow(label: string, swatch: HTMLElement, ticks?: string[]): HTMLElement {
  const row = document.createElement('div');
  row.className = 'legend-row';
  const name = document.createElement('div');
  name.className = 'legend-label';
  name.textContent = label;
  row.append(name, swatch);
  if (ticks) {
    const t = document.createElement('div');
    t.className = 'legend-ticks';
    for (const s of ticks) t.append(Object.assign(document.createElement('span'), { textContent: s }));
    row.append(t);
  }
  return row;
}

function bar(gradient: string): HTMLElement {
  const b = document.createElement('div');
  b.className = 'legend-bar';
  b.style.background = gradient;
  return b;
}

function dots(items: [string, string, number][]): HTMLElement {
  const d = document.createElement('div');
  d.className = 'legend-dots';
  for (const [label, colour, size] of items) {
    const s = document.createElement('span');
    s.className = 'legend-dot';
    s.style.setProperty('--dot', colour);
    s.style.setProperty('--size', `${size}px`);
    s.textContent = label;
    d.append(s);
  }
  return d;
}

/** The legend: what colours and sizes mean, from the same ramps the map uses. */
export function renderLegend(box: HTMLElement): void {
  const h = document.createElement('h2');
  h.textContent = 'Legend';
  box.append(
    h,
    legendRow('Road speed, % of free-flow', bar(rampGradientCss(SPEED_RAMP)), ['0', '25', '50', '75', '≥100']),
    legendRow('Wi-Fi clients (circle area)', dots([['10', HOTSPOT_COLOUR, 10], ['100', HOTSPOT_COLOUR, 18], ['400', HOTSPOT_COLOUR, 30]])),
    legendRow('Building power, % of limit', bar(rampGradientCss(LOAD_RAMP)), ['0', '50', '100']),
    legendRow('', dots([['no reading yet', NO_DATA_COLOUR, 12]])),
  );
}

const STATUS_TEXT: Record<LiveStatus, string> = {
  connecting: 'Connecting…',
  open: 'Live',
  reconnecting: 'Reconnecting…',
  closed: 'Offline',
};

/** Shows the live connection's state. */
export function showStatus(el: HTMLElement, status: LiveStatus): void {
  el.dataset.status = status;
  el.textContent = STATUS_TEXT[status];
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
