import uPlot from 'uplot';
import { city } from '../time/city.js';
import type { Column } from '../model/series.js';
import { hoverPlugin, pickPlugin } from './chart-hover.js';

/** One line (or bar set) of a chart. */
export interface ChartSeries {
  label: string;
  values: Column;
  colour: string;
  /** Dash pattern in pixels (the "last week" overlay is dashed). */
  dash?: number[];
  fill?: string;
  width?: number;
}

/** What a chart draws: x values (epoch seconds when `time`), one or more series, and how to label them. */
export interface ChartSpec {
  x: number[];
  series: ChartSeries[];
  /** Y axis label (the unit). */
  unit: string;
  time: boolean;
  /** Draw bars instead of lines (profiles by hour). */
  bars?: boolean;
  /** A vertical line at this x: the dashboard's moment. */
  marker?: number | null;
  /** Value format for the legend. */
  format?: (v: number) => string;
  /** Tick labels for a non-time x axis. */
  xTicks?: (v: number) => string;
  /** Fixed y range (e.g. 0–1 for an index); otherwise from 0 (or the minimum) to the maximum plus 10 %. */
  yRange?: [number, number];
  /** The x range to show (the period asked for), whatever the data covers. */
  xRange?: [number, number];
  /** Where the x ticks go (e.g. every third hour of a daily profile). */
  xSplits?: number[];
}

type TickFormats = Record<'hm' | 'dayMonth' | 'weekdayHm', Intl.DateTimeFormat>;
const tickFormats = new Map<string, TickFormats>();
/** The tick formats of the city's zone, built once per zone. */
function ticksIn(timeZone: string): TickFormats {
  let f = tickFormats.get(timeZone);
  if (!f) {
    f = {
      hm: new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }),
      dayMonth: new Intl.DateTimeFormat('en-GB', { timeZone, day: 'numeric', month: 'short' }),
      weekdayHm: new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }),
    };
    tickFormats.set(timeZone, f);
  }
  return f;
}

/**
 * Time ticks in the city's time, 24-hour: `HH:MM` within two days, the date beyond (uPlot's default is
 * US-style `3:30pm` in the browser's zone).
 */
function timeTicks(u: uPlot, splits: number[]): string[] {
  const span = (u.scales.x?.max ?? 0) - (u.scales.x?.min ?? 0);
  const { hm, dayMonth, weekdayHm } = ticksIn(city().zone);
  if (span > 2 * 86_400) return splits.map((s) => dayMonth.format(s * 1000));
  if (span > 86_400) return splits.map((s) => weekdayHm.format(s * 1000));
  return splits.map((s) => hm.format(s * 1000));
}

/** A uPlot plugin drawing a vertical line at `getX()` (the dashboard's moment), if any. */
function markerPlugin(getX: () => number | null | undefined): uPlot.Plugin {
  return {
    hooks: {
      draw: (u) => {
        const x = getX();
        if (x === null || x === undefined) return;
        const px = u.valToPos(x, 'x', true);
        if (px < u.bbox.left || px > u.bbox.left + u.bbox.width) return;
        const ctx = u.ctx;
        ctx.save();
        ctx.strokeStyle = '#d9480f';
        ctx.lineWidth = 2 * devicePixelRatio;
        ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
        ctx.beginPath();
        ctx.moveTo(px, u.bbox.top);
        ctx.lineTo(px, u.bbox.top + u.bbox.height);
        ctx.stroke();
        ctx.restore();
      },
    },
  };
}

/** A uPlot chart that follows its container's width. */
export class Chart {
  private plot: uPlot | null = null;
  private readonly resize: ResizeObserver;
  private spec: ChartSpec | null = null;

  /**
   * `onPick`: a drag across a time chart picked [from, to) (epoch ms); without it, dragging does nothing. Every
   * chart shows a tooltip with the time and each series' value and unit on hover.
   */
  constructor(private readonly el: HTMLElement, private readonly height = 200, private readonly onPick?: (from: number, to: number) => void) {
    this.resize = new ResizeObserver(() => {
      if (this.plot && this.el.clientWidth > 0) this.plot.setSize({ width: this.el.clientWidth, height: this.height });
    });
    this.resize.observe(el);
  }

  /** What is drawn now, or null. */
  get shown(): ChartSpec | null {
    return this.spec;
  }

  /** Draws `spec`, replacing any earlier chart. */
  show(spec: ChartSpec): void {
    this.plot?.destroy();
    this.spec = spec;
    const fmt = spec.format ?? ((v: number) => String(Math.round(v * 100) / 100));
    const few = spec.x.length < 40;
    const bars = spec.bars ? uPlot.paths.bars?.({ size: [0.7, 40] }) : undefined;
    const opts: uPlot.Options = {
      width: Math.max(200, this.el.clientWidth),
      height: this.height,
      legend: { show: spec.series.length > 1 },
      cursor: { drag: { x: spec.time && this.onPick !== undefined, y: false, setScale: false } },
      scales: {
        x: {
          time: spec.time,
          ...(spec.xRange ? { range: () => spec.xRange! } : spec.bars ? { range: (_u, min, max) => [min - 0.5, max + 0.5] } : {}),
        },
        y: { range: spec.yRange ?? ((_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1]) },
      },
      ...(spec.time ? { tzDate: (ts: number) => uPlot.tzDate(new Date(ts * 1000), city().zone) } : {}),
      axes: [
        {
          stroke: '#444', grid: { stroke: '#e4e4e4' },
          values: spec.time ? timeTicks : (_u, splits) => splits.map((v) => (spec.xTicks ? spec.xTicks(v) : String(v))),
          ...(spec.xSplits ? { splits: () => spec.xSplits! } : {}),
        },
        { stroke: '#444', grid: { stroke: '#e4e4e4' }, label: spec.unit, size: 52 },
      ],
      series: [
        {},
        ...spec.series.map((s): uPlot.Series => ({
          label: s.label,
          stroke: s.colour,
          width: s.width ?? 2,
          ...(s.dash ? { dash: s.dash } : {}),
          ...(s.fill ? { fill: s.fill } : {}),
          ...(bars ? { paths: bars, fill: s.fill ?? s.colour, points: { show: false } } : { points: { show: few, size: 5 } }),
          value: (_u, v) => (v === null ? '–' : fmt(v)),
        })),
      ],
      plugins: [
        markerPlugin(() => this.spec?.marker),
        hoverPlugin(() => (this.spec ? { time: spec.time, unit: spec.unit, labels: spec.series.map((s) => s.label), format: fmt, xLabel: spec.xTicks } : null)),
        ...(spec.time && this.onPick ? [pickPlugin(this.onPick)] : []),
      ],
    };
    this.plot = new uPlot(opts, [spec.x, ...spec.series.map((s) => s.values)] as uPlot.AlignedData, this.el);
  }

  /** Moves the moment marker without redrawing the data. */
  setMarker(x: number | null): void {
    if (!this.spec) return;
    this.spec = { ...this.spec, marker: x };
    this.plot?.redraw(false, false);
  }

  /** Removes the chart (the element stays). */
  clear(): void {
    this.plot?.destroy();
    this.plot = null;
    this.spec = null;
  }

  /** Stops following the container. */
  destroy(): void {
    this.clear();
    this.resize.disconnect();
  }
}
