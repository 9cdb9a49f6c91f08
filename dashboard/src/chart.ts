import uPlot from 'uplot';
import { formatValue, METRIC_INFO, metricLabel } from './format.js';
import type { ChartData } from './series.js';

const LINE_COLOUR = '#2166ac';
const timeFormat = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' });
/** Axis ticks as 24-hour local `HH:MM` (uPlot's default is US-style `3:30pm`). */
const timeTicks = (_u: uPlot, splits: number[]) => splits.map((s) => timeFormat.format(s * 1000));

/** A uPlot line chart of one metric that follows its container's width. */
export class SeriesChart {
  private plot: uPlot | null = null;
  private readonly resize: ResizeObserver;

  constructor(private readonly el: HTMLElement, private readonly height = 200) {
    this.resize = new ResizeObserver(() => {
      if (this.plot && this.el.clientWidth > 0) this.plot.setSize({ width: this.el.clientWidth, height: this.height });
    });
    this.resize.observe(el);
  }

  /** Draws `data` of `metric`, replacing any earlier chart. */
  show(metric: string, data: ChartData): void {
    this.plot?.destroy();
    const unit = METRIC_INFO[metric]?.unit ?? '';
    const opts: uPlot.Options = {
      width: Math.max(200, this.el.clientWidth),
      height: this.height,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] } },
      axes: [
        { stroke: '#444', grid: { stroke: '#e4e4e4' }, values: timeTicks },
        { stroke: '#444', grid: { stroke: '#e4e4e4' }, label: unit, size: 48 },
      ],
      series: [
        {},
        {
          label: metricLabel(metric),
          stroke: LINE_COLOUR,
          width: 2,
          fill: 'rgba(33, 102, 172, 0.08)',
          points: { show: data[0].length < 40, size: 5 },
          value: (_u, v) => (v === null ? '–' : formatValue(metric, v)),
        },
      ],
    };
    this.plot = new uPlot(opts, data, this.el);
  }

  /** Removes the chart (the element stays). */
  clear(): void {
    this.plot?.destroy();
    this.plot = null;
  }

  /** Stops following the container. */
  destroy(): void {
    this.clear();
    this.resize.disconnect();
  }
}
