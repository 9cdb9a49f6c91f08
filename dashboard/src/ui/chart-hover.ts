import type uPlot from 'uplot';
import { city } from '../time/city.js';

/** What the hover tooltip needs to know of a chart. */
export interface HoverSpec {
  time: boolean;
  unit: string;
  /** Each series' label, in order (uPlot's series 1…). */
  labels: string[];
  format: (v: number) => string;
  /** The x label of a non-time chart (e.g. `08h`). */
  xLabel?: (v: number) => string;
}

/** The tooltip's lines at x `x` with the series' values there: the time (city, 24 h) then `label: value unit`. */
export function hoverLines(spec: HoverSpec, x: number, values: readonly (number | null | undefined)[]): string[] {
  const head = spec.time ? city().format(x * 1000) : (spec.xLabel ? spec.xLabel(x) : String(x));
  const unit = spec.unit ? ` ${spec.unit}` : '';
  return [head, ...spec.labels.map((l, i) => {
    const v = values[i];
    if (v === null || v === undefined) return `${l}: no data`;
    // A format may carry the unit already (`16.1 %`): never twice.
    const text = spec.format(v);
    return `${l}: ${unit && text.endsWith(unit.trim()) ? text : `${text}${unit}`}`;
  })];
}

/**
 * A uPlot plugin showing, where the cursor is over the plot, a tooltip with the time (or x label) and every
 * series' value with its unit; `spec()` is read on each move, so it follows the chart's current data.
 */
export function hoverPlugin(spec: () => HoverSpec | null): uPlot.Plugin {
  let tip: HTMLDivElement | null = null;
  return {
    hooks: {
      init: (u) => {
        tip = document.createElement('div');
        tip.className = 'chart-tip';
        tip.hidden = true;
        tip.setAttribute('role', 'tooltip');
        u.over.append(tip);
        u.over.addEventListener('mouseleave', () => {
          if (tip) tip.hidden = true;
        });
      },
      setCursor: (u) => {
        const s = spec();
        const { idx, left, top } = u.cursor;
        if (!tip || !s || idx === null || idx === undefined || left === undefined || left < 0 || top === undefined) {
          if (tip) tip.hidden = true;
          return;
        }
        const x = u.data[0][idx]!;
        const values = s.labels.map((_, i) => u.data[i + 1]?.[idx]);
        tip.replaceChildren(...hoverLines(s, x, values).map((line, i) => {
          const row = document.createElement(i === 0 ? 'strong' : 'div');
          row.textContent = line;
          return row;
        }));
        tip.hidden = false;
        // Beside the cursor, on whichever side has room.
        const w = tip.offsetWidth;
        tip.style.left = `${left + 12 + w > u.over.clientWidth ? Math.max(0, left - 12 - w) : left + 12}px`;
        tip.style.top = `${Math.max(0, Math.min(top, u.over.clientHeight - tip.offsetHeight))}px`;
      },
    },
  };
}

/**
 * A uPlot plugin: a drag across a time chart picks a range; `onPick` gets it in epoch ms, and the selection is
 * cleared (the dashboard, not the chart, then shows that time).
 */
export function pickPlugin(onPick: (from: number, to: number) => void): uPlot.Plugin {
  return {
    hooks: {
      setSelect: (u) => {
        if (u.select.width < 3) return;
        const from = u.posToVal(u.select.left, 'x');
        const to = u.posToVal(u.select.left + u.select.width, 'x');
        u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
        onPick(from * 1000, to * 1000);
      },
    },
  };
}
