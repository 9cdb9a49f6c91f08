import { ATTRIBUTION, KINDS, type CityClock, type ExportFormat, type Kind } from '@cityhub/contracts';
import { LICENCE } from '../data/csv.js';
import { city } from '../time/city.js';
import { PERIODS, type Period } from '../time/time-query.js';
import { byId, el } from '../ui/dom.js';
import type { ViewName } from './url-state.js';

/** What the hub describes itself with. */
export const API_LINKS = [
  { href: '/docs', text: 'API documentation (Swagger UI)' },
  { href: '/openapi.json', text: 'OpenAPI description (/openapi.json)' },
  { href: '/asyncapi.json', text: 'MQTT interface, AsyncAPI (/asyncapi.json)' },
] as const;

const FORMATS: readonly ExportFormat[] = ['csv', 'geojson', 'parquet'];
const FORMAT_NAMES: Record<ExportFormat, string> = { csv: 'CSV', geojson: 'GeoJSON', parquet: 'Parquet' };
const KIND_NAMES: Record<Kind, string> = { traffic: 'road links', wifi: 'Wi-Fi hotspots', energy: 'buildings' };
const DAY_MS = 86_400_000;

/** What the dashboard shows now: its view, its period and its moment (the period ends there). */
export interface ShownNow { view: ViewName; period: Period; t: number }

/** One download of the current view. */
export interface Download { kind: Kind; format: ExportFormat; href: string; text: string }

/** The kinds a view shows: its own, or all three for the map and the city-wide views. */
export function kindsOf(view: ViewName): Kind[] {
  return view === 'traffic' || view === 'wifi' || view === 'energy' ? [view] : [...KINDS];
}

/**
 * The exports of what the view shows: its kinds over the local days its period covers (from the local day
 * the period starts to the end of the local day of the moment), per hour up to a week and per local day
 * beyond; energy as energy used per bucket. CSVs carry the licence and attribution in their last columns.
 */
export function downloadsOf(now: ShownNow, clock: CityClock = city()): Download[] {
  const spanMs = PERIODS[now.period].spanMs;
  const from = clock.dayKey(now.t - spanMs);
  const to = clock.dayKey(clock.dayStart(clock.dayNumber(now.t) + 1));
  const step = spanMs >= 7 * DAY_MS ? '1d' : '1h';
  const out: Download[] = [];
  for (const kind of kindsOf(now.view)) {
    for (const format of FORMATS) {
      const q = new URLSearchParams({ kind, from, to, step, tz: clock.zone, format });
      if (kind === 'energy') q.set('agg', 'delta');
      if (format === 'csv') q.set('licence_columns', 'true');
      out.push({ kind, format, href: `/api/v1/export?${q.toString()}`, text: `${KIND_NAMES[kind]}, ${from} to ${to} (exclusive), ${FORMAT_NAMES[format]}` });
    }
  }
  return out;
}

function link(href: string, text: string, download = false): HTMLAnchorElement {
  const a = el('a');
  a.href = href;
  a.textContent = text;
  if (download) a.setAttribute('download', '');
  else a.rel = 'noopener';
  return a;
}

/** The "Data & API" dialog: licence, attribution, the API's descriptions and downloads of the current view. */
export function setUpDataApi(shownNow: () => ShownNow): void {
  const dialog = byId('data-api', HTMLDialogElement);
  const licence = byId('data-licence', HTMLElement);
  licence.replaceChildren('Readings are open data under ', link(LICENCE.url, LICENCE.name), '. Attribution: ', ATTRIBUTION);
  byId('data-links', HTMLElement).replaceChildren(...API_LINKS.map((l) => {
    const li = el('li');
    li.append(link(l.href, l.text));
    return li;
  }));
  const downloads = byId('data-downloads', HTMLElement);
  byId('data-open', HTMLButtonElement).addEventListener('click', () => {
    const now = shownNow();
    byId('data-range', HTMLElement).textContent =
      `Downloads of what the ${now.view === 'map' ? 'map' : now.view} view shows over its period (${PERIODS[now.period].label}), in local days of ${city().zone}. ` +
      'Every file carries the licence and the attribution.';
    downloads.replaceChildren(...downloadsOf(now).map((d) => {
      const li = el('li');
      li.append(link(d.href, d.text, true));
      li.dataset.format = d.format;
      return li;
    }));
    dialog.showModal();
  });
}
