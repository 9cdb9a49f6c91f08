import type { HotspotProperties } from '@cityhub/contracts';
import { seriesUrl } from '../data/api.js';
import type { SeriesQuery } from '../data/api.js';
import { city } from '../time/city.js';
import { byHourOfDay } from '../model/binning.js';
import { CLIENTS_RAMP, rampColour } from '../model/colour.js';
import { el } from '../ui/dom.js';
import { formatNumber, formatPct } from '../ui/format.js';
import { pointsByAsset } from '../model/points.js';
import { alignUp, PERIODS, spanEndingAt, STEP_15M, STEP_1H } from '../time/time-query.js';
import { availability } from '../model/wifi.js';
import { SortableTable } from './table.js';
import type { Column } from './table.js';
import type { AnalysisView, ViewContext, ViewDeps } from './view.js';

/** One hotspot's line. */
export interface HotspotRow {
  id: string;
  name: string;
  capacity: number;
  status: 'online' | 'offline' | 'no data';
  clients: number | null;
  load: number | null;
  availability: number | null;
  /** Mean clients by local hour of day over the period. */
  byHour: (number | null)[];
}
type WifiKey = 'name' | 'clients' | 'load' | 'availability';

/**
 * What the Wi-Fi view computed last, for the test hook. Availability counts the buckets of [from, availableTo):
 * the period up to the bucket of the moment, since buckets still to come cannot have had a reading.
 */
export interface WifiData { from: number; to: number; availableTo: number; urls: { count: string; mean: string }; rows: HotspotRow[]; offline: string[] }

function strip(row: HotspotRow): HTMLElement {
  const s = el('span', 'strip');
  s.setAttribute('role', 'img');
  const peak = row.byHour.reduce<number>((m, v) => (v !== null && v > m ? v : m), 0);
  s.setAttribute('aria-label', `mean clients by hour, highest ${formatNumber(peak)}`);
  row.byHour.forEach((v, h) => {
    const c = el('span', 'strip-cell');
    c.style.background = v === null ? 'transparent' : rampColour(CLIENTS_RAMP, v / row.capacity);
    c.title = `${String(h).padStart(2, '0')}:00 — ${v === null ? 'no data' : `${formatNumber(v, 1)} clients`}`;
    s.append(c);
  });
  return s;
}

/** Wi-Fi: load per hotspot now and by hour, availability over the period, and which hotspots are offline. */
export class WifiView implements AnalysisView {
  readonly root = el('div', 'view view-wifi');
  private readonly offlineLine = el('p', 'offline-now');
  private readonly status = el('p', 'status-line');
  private readonly table: SortableTable<HotspotRow, WifiKey>;
  private readonly hotspots: HotspotProperties[] = [];
  private sort: { key: WifiKey; ascending: boolean } = { key: 'clients', ascending: false };
  private result: WifiData | null = null;
  private key = '';
  private byHour = new Map<string, (number | null)[]>();
  private avail = new Map<string, number>();

  constructor(private readonly deps: ViewDeps) {
    for (const f of deps.assets.all()) if (f.properties.kind === 'wifi') this.hotspots.push(f.properties);
    const cols: Column<HotspotRow, WifiKey>[] = [
      { header: 'Hotspot', key: 'name', cell: (r) => r.name },
      { header: 'Status', cell: (r) => el('span', `badge badge-${r.status.replace(' ', '-')}`, r.status) },
      { header: 'Clients', key: 'clients', numeric: true, cell: (r) => formatNumber(r.clients) },
      { header: 'Load', key: 'load', numeric: true, cell: (r) => formatPct(r.load), title: 'Clients as a share of capacity' },
      { header: 'Availability', key: 'availability', numeric: true, cell: (r) => formatPct(r.availability), title: 'Share of 15-minute intervals with at least one reading' },
      { header: 'Clients by hour (00–23 h)', cell: strip },
    ];
    this.table = new SortableTable('Wi-Fi hotspots', cols, this.sort, (key, ascending) => {
      this.sort = { key, ascending };
      this.render();
    }, { label: (r) => `${r.name}: details`, run: (r) => deps.openAsset(r.id) });
    const card = el('section', 'card card-full');
    const scroll = el('div', 'table-scroll');
    scroll.append(this.table.root);
    card.append(this.offlineLine, this.status, scroll);
    this.root.append(card);
  }

  data(): WifiData | null {
    return this.result;
  }

  async update(ctx: ViewContext): Promise<void> {
    const spanMs = PERIODS[ctx.period].spanMs;
    const { to } = spanEndingAt(ctx.t, spanMs, STEP_1H);
    const from = to - spanMs;
    const count: SeriesQuery = { kind: 'wifi', metric: 'clients', from, to, step: STEP_15M.param, agg: 'count' };
    const mean: SeriesQuery = { kind: 'wifi', metric: 'clients', from, to, step: STEP_1H.param, agg: 'mean' };
    const urls = { count: seriesUrl(this.deps.origin, count), mean: seriesUrl(this.deps.origin, mean) };
    const availableTo = Math.min(to, alignUp(ctx.t + 1, STEP_15M.ms));
    const key = `${urls.count} ${availableTo}`;
    if (key !== this.key) {
      this.key = key;
      this.status.textContent = 'Loading…';
      try {
        const [c, m] = await this.deps.busy.track(Promise.all([this.deps.cache.get(count), this.deps.cache.get(mean)]));
        if (this.key !== key) return;
        const counts = pointsByAsset(c);
        const means = pointsByAsset(m);
        this.avail = new Map(this.hotspots.map((h) => [h.id, availability(counts.get(h.id) ?? [], from, availableTo, STEP_15M.ms)]));
        this.byHour = new Map(this.hotspots.map((h) => [h.id, byHourOfDay(means.get(h.id) ?? []).mean]));
        const span = ctx.live ? `the last ${PERIODS[ctx.period].label}` : `the ${PERIODS[ctx.period].label} to ${city().format(to)}`;
        this.status.textContent = `Availability (share of 15-minute intervals with a reading) and clients by hour over ${span}.`;
      } catch (e) {
        if (this.key === key) this.status.textContent = `Could not load the hotspots' history: ${(e as Error).message}`;
        this.key = '';
        return;
      }
    }
    const rows = this.hotspots.map((h): HotspotRow => {
      const s = this.deps.shownOf(h.id);
      const clients = s && !s.offline ? (s.values.clients ?? null) : null;
      return {
        id: h.id, name: h.name, capacity: h.capacity,
        status: !s ? 'no data' : s.offline ? 'offline' : 'online',
        clients, load: clients === null ? null : clients / h.capacity,
        availability: this.avail.get(h.id) ?? null,
        byHour: this.byHour.get(h.id) ?? new Array<null>(24).fill(null),
      };
    });
    const offline = rows.filter((r) => r.status === 'offline');
    this.result = { from, to, availableTo, urls, rows, offline: offline.map((r) => r.id) };
    const when = ctx.live ? 'now' : `at ${city().format(ctx.t)}`;
    this.offlineLine.textContent = offline.length
      ? `Offline ${when} (${offline.length}): ${offline.map((r) => r.name).join(', ')}`
      : `No hotspot is offline ${when}.`;
    this.offlineLine.classList.toggle('has-offline', offline.length > 0);
    this.render();
  }

  private render(): void {
    if (!this.result) return;
    const { key, ascending } = this.sort;
    const dir = ascending ? 1 : -1;
    const rows = [...this.result.rows].sort((a, b) => {
      const x = a[key], y = b[key];
      if (x === null || y === null) return x === y ? a.name.localeCompare(b.name) : x === null ? 1 : -1;
      return (typeof x === 'string' ? x.localeCompare(y as string) : x - (y as number)) * dir || a.name.localeCompare(b.name);
    });
    this.table.render(rows, (r) => r.id);
  }
}
