import type { BuildingProperties } from '@cityhub/contracts';
import { seriesUrl } from '../data/api.js';
import type { SeriesQuery } from '../data/api.js';
import { city, yearEarlier } from '../time/city.js';
import { byHourOfDay } from '../model/binning.js';
import { Chart } from '../ui/chart.js';
import { rankingCsv } from '../data/csv.js';
import { button, el } from '../ui/dom.js';
import { formatChange, formatNumber, formatPct } from '../ui/format.js';
import { pointsByAsset, pointsIn } from '../model/points.js';
import { buildingRows, sortRows } from '../model/ranking.js';
import type { BuildingRow, EnergyInputs, RankKey, YearAgo } from '../model/ranking.js';
import { alignDown, HOUR_MS, PERIODS, spanEndingAt, STEP_1H, WEEK_MS } from '../time/time-query.js';
import type { Period } from '../time/time-query.js';
import { SortableTable } from './table.js';
import type { Column } from './table.js';
import type { AnalysisView, ViewContext, ViewDeps } from './view.js';

/** The series the energy view reads: the period's (and the weeks before it), and the same period a year earlier. */
type SeriesName = 'counter' | 'meanPower' | 'maxPower' | 'yearCounter' | 'yearMeanPower';

/** What the energy view computed last, for the test hook. */
export interface EnergyData {
  from: number;
  to: number;
  /** The same local dates and hours a year earlier. */
  yearAgo: { from: number; to: number };
  urls: Record<SeriesName, string>;
  rows: BuildingRow[];
  profile: { asset: string; kw: (number | null)[] } | null;
}

/**
 * The queries for a period of `span` ending at `to`: week on week needs two weeks, the previous period two
 * periods; a counter also needs the hour before its earliest bucket as its baseline.
 */
function energyQueries(to: number, spanMs: number): { yearAgo: { from: number; to: number }; qs: Record<SeriesName, SeriesQuery> } {
  const from = to - spanMs;
  const earliest = to - Math.max(2 * spanMs, 2 * WEEK_MS);
  const yearAgo = { from: alignDown(yearEarlier(from), HOUR_MS), to: alignDown(yearEarlier(to), HOUR_MS) };
  const base = { kind: 'energy', step: '1h' } as const;
  return {
    yearAgo,
    qs: {
      counter: { ...base, metric: 'energy_kwh', agg: 'last', from: earliest - HOUR_MS, to },
      meanPower: { ...base, metric: 'power_kw', agg: 'mean', from: earliest, to },
      maxPower: { ...base, metric: 'power_kw', agg: 'max', from, to },
      yearCounter: { ...base, metric: 'energy_kwh', agg: 'last', from: yearAgo.from - HOUR_MS, to: yearAgo.to },
      yearMeanPower: { ...base, metric: 'power_kw', agg: 'mean', from: yearAgo.from, to: yearAgo.to },
    },
  };
}

/** What the note under the status says about the year-earlier comparison. */
function yearAgoNote(rows: readonly BuildingRow[], yearAgo: { from: number; to: number }): string {
  const when = `${city().format(yearAgo.from)} – ${city().format(yearAgo.to)} ${city().localParts(yearAgo.to - 1).year}`;
  const held = rows.filter((r) => r.yearAgo !== 'none').length;
  if (held === 0) return `vs a year ago: no data a year ago (${when}): the hub holds no readings from then.`;
  return `vs a year ago: against ${when}; ${held} of ${rows.length} buildings have readings from then${held < rows.length ? ' (the others: no data a year ago)' : ''}.`;
}

/** The "vs a year ago" cell: the change, or why there is none. */
function yearAgoCell(r: BuildingRow): string {
  if (r.vsYearAgo !== null) return formatChange(r.vsYearAgo);
  return r.yearAgo === 'none' ? 'no data' : '–';
}

const HOURS = Array.from({ length: 24 }, (_, h) => h);

/**
 * Energy: buildings ranked by energy, energy per m², night baseload (kW, W/m², share of the day), peak, and the
 * change week on week, against the previous period and against the same period a year earlier; a daily profile; CSV.
 */
export class EnergyView implements AnalysisView {
  readonly root = el('div', 'view view-energy');
  private readonly status = el('p', 'status-line');
  private readonly yearNote = el('p', 'status-line year-ago-note');
  private readonly scroll = el('div', 'table-scroll');
  /** Said while columns lie beyond the table's right edge (a phone shows two of ten). */
  private readonly scrollHint = el('p', 'scroll-hint', 'More columns to the right: scroll the table sideways →');
  private readonly table: SortableTable<BuildingRow, RankKey>;
  private readonly profileTitle = el('h3');
  private readonly profileStatus = el('p', 'status-line');
  private readonly chart: Chart;
  private readonly buildings: BuildingProperties[] = [];
  private sort: { key: RankKey; ascending: boolean } = { key: 'kwh', ascending: false };
  private result: EnergyData | null = null;
  private inputs: EnergyInputs | null = null;
  private key = '';
  private profileAsset: string | null = null;
  /** The CSV button, for the drawer's toolbar. */
  readonly download = button('Download CSV', 'action', () => this.saveCsv());

  constructor(private readonly deps: ViewDeps) {
    for (const f of deps.assets.all()) if (f.properties.kind === 'energy') this.buildings.push(f.properties);
    const cols: Column<BuildingRow, RankKey>[] = [
      { header: 'Building', key: 'name', cell: (r) => `${r.name}${r.partial ? ' *' : ''}` },
      { header: 'kWh', key: 'kwh', numeric: true, cell: (r) => formatNumber(r.kwh), title: 'Energy over the period' },
      { header: 'kWh/m²', key: 'kwhPerM2', numeric: true, cell: (r) => formatNumber(r.kwhPerM2, 3), title: 'Energy over the period per m² of floor area' },
      { header: 'Baseload kW', key: 'baseloadKw', numeric: true, cell: (r) => formatNumber(r.baseloadKw, 1), title: 'Lowest hourly mean power between 00:00 and 05:00' },
      { header: 'Baseload W/m²', key: 'baseloadWPerM2', numeric: true, cell: (r) => formatNumber(r.baseloadWPerM2, 1), title: 'Night baseload per m² of floor area: comparable across sizes' },
      { header: 'Night/day', key: 'baseloadShare', numeric: true, cell: (r) => formatPct(r.baseloadShare), title: 'Night baseload as a share of the daytime (08:00–20:00) mean power' },
      { header: 'Peak kW', key: 'peakKw', numeric: true, cell: (r) => formatNumber(r.peakKw, 1), title: 'Highest power in the period' },
      { header: 'Week on week', key: 'weekOnWeek', numeric: true, cell: (r) => formatChange(r.weekOnWeek), title: 'Energy in the last 7 days against the 7 days before' },
      { header: 'vs previous', key: 'vsPrevious', numeric: true, cell: (r) => formatChange(r.vsPrevious), title: 'Energy over the period against the period of the same length before it' },
      { header: 'vs a year ago', key: 'vsYearAgo', numeric: true, cell: yearAgoCell, title: 'Energy over the period against the same local dates and hours a year earlier ("no data": no data a year ago)' },
    ];
    this.table = new SortableTable('Buildings ranked by energy', cols, this.sort, (key, ascending) => {
      this.sort = { key, ascending };
      this.renderTable();
    }, {
      label: (r) => `${r.name}: show its daily profile and details`,
      run: (r) => {
        this.profileAsset = r.id;
        this.drawProfile();
        deps.openAsset(r.id);
      },
    });
    const left = el('section', 'card card-wide');
    this.scroll.append(this.table.root);
    // Keyboard users scroll it too; the hint follows its size and position.
    this.scroll.tabIndex = 0;
    this.scroll.setAttribute('role', 'region');
    this.scroll.setAttribute('aria-label', 'Buildings ranked: a table that scrolls sideways');
    this.scroll.addEventListener('scroll', () => this.showScrollHint(), { passive: true });
    new ResizeObserver(() => this.showScrollHint()).observe(this.scroll);
    this.scrollHint.hidden = true;
    left.append(el('h3', undefined, 'Buildings ranked'), this.status, this.yearNote, this.scrollHint, this.scroll,
      el('p', 'note', '* part of the period has no data. Baseload: lowest hourly mean power 00:00–05:00, Thessaloniki time.'));
    const right = el('section', 'card');
    const chartBox = el('div', 'view-chart');
    right.append(this.profileTitle, this.profileStatus, chartBox);
    this.chart = new Chart(chartBox, 170);
    this.root.append(left, right);
  }

  data(): EnergyData | null {
    return this.result;
  }

  async update(ctx: ViewContext): Promise<void> {
    const spanMs = PERIODS[ctx.period].spanMs;
    const { to } = spanEndingAt(ctx.t, spanMs, STEP_1H);
    const from = to - spanMs;
    const { yearAgo, qs } = energyQueries(to, spanMs);
    const names = Object.keys(qs) as SeriesName[];
    const urls = Object.fromEntries(names.map((n) => [n, seriesUrl(this.deps.origin, qs[n])])) as Record<SeriesName, string>;
    const key = `${urls.counter} ${from}`;
    if (ctx.selected?.startsWith('building-') && ctx.selected !== this.profileAsset) this.profileAsset = ctx.selected;
    if (key === this.key && this.result) {
      this.drawProfile();
      return;
    }
    this.key = key;
    this.status.textContent = 'Loading…';
    try {
      const answers = await this.deps.busy.track(Promise.all(names.map((n) => this.deps.cache.get(qs[n]))));
      if (this.key !== key) return;
      const [counter, meanPower, maxPower, yearCounter, yearMeanPower] = answers.map((a) => pointsByAsset(a));
      this.inputs = { counter: counter!, meanPower: meanPower!, maxPower: maxPower! };
      const lastYear: YearAgo = { ...yearAgo, inputs: { counter: yearCounter!, meanPower: yearMeanPower! } };
      this.result = { from, to, yearAgo, urls, rows: buildingRows(this.buildings, this.inputs, from, to, lastYear), profile: null };
      this.showStatus(ctx.live, ctx.period, to);
      this.renderTable();
      this.drawProfile();
    } catch (e) {
      if (this.key === key) this.status.textContent = `Could not load the meters: ${(e as Error).message}`;
      this.key = '';
    }
  }

  private showStatus(live: boolean, period: Period, to: number): void {
    const r = this.result!;
    const reporting = r.rows.filter((x) => x.kwh !== null).length;
    const span = live ? `the last ${PERIODS[period].label}` : `the ${PERIODS[period].label} to ${city().format(to)}`;
    this.status.textContent = `${reporting} of ${this.buildings.length} buildings reported in ${span} (whole hours, Thessaloniki time).`;
    this.yearNote.textContent = yearAgoNote(r.rows, r.yearAgo);
  }

  private renderTable(): void {
    if (!this.result) return;
    this.table.render(sortRows(this.result.rows, this.sort.key, this.sort.ascending), (r) => r.id);
    this.showScrollHint();
  }

  /** The hint shows while some of the table lies to the right of what is in view. */
  private showScrollHint(): void {
    const s = this.scroll;
    this.scrollHint.hidden = s.scrollWidth - s.clientWidth - s.scrollLeft <= 2;
  }

  private drawProfile(): void {
    const r = this.result;
    if (!r || !this.inputs) return;
    const ranked = sortRows(r.rows, 'kwh');
    const id = this.profileAsset && r.rows.some((x) => x.id === this.profileAsset) ? this.profileAsset : ranked[0]?.id;
    const row = r.rows.find((x) => x.id === id);
    if (!id || !row) return;
    for (const tr of this.table.root.querySelectorAll('tbody tr')) tr.classList.toggle('selected-row', (tr as HTMLElement).dataset.id === id);
    const kw = byHourOfDay(pointsIn(this.inputs.meanPower.get(id) ?? [], r.from, r.to)).mean;
    r.profile = { asset: id, kw };
    this.profileTitle.textContent = `Daily profile: ${row.name}`;
    this.profileStatus.textContent = kw.some((v) => v !== null) ? 'Mean power by hour of day over the period (Thessaloniki time).' : 'No power readings in this period.';
    this.chart.show({
      x: HOURS, time: false, bars: true, unit: 'kW', xTicks: (h) => `${String(h).padStart(2, '0')}h`, xSplits: [0, 3, 6, 9, 12, 15, 18, 21],
      format: (v) => `${formatNumber(v, 1)} kW`,
      series: [{ label: 'Mean power', values: kw, colour: '#6a51a3', fill: 'rgba(106, 81, 163, 0.75)' }],
    });
  }

  private saveCsv(): void {
    const r = this.result;
    if (!r) return;
    const blob = new Blob([rankingCsv(sortRows(r.rows, this.sort.key, this.sort.ascending), r.from, r.to)], { type: 'text/csv;charset=utf-8' });
    const a = el('a');
    a.href = URL.createObjectURL(blob);
    a.download = `cityhub-energy-${new Date(r.from).toISOString().slice(0, 10)}-to-${new Date(r.to).toISOString().slice(0, 10)}.csv`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }
}
