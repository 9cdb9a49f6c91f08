/**
 * Colour ramps shared by the map paint expressions, the legend and the tooltips, so that one ratio always
 * means one colour everywhere. Pure: no DOM, no MapLibre.
 */

/** A ramp: ascending stops of `[value, '#rrggbb']`, interpolated linearly in RGB like MapLibre's `interpolate`. */
export type Ramp = readonly (readonly [number, string])[];

/**
 * Road speed as a share of free-flow speed. Blue (flowing) through a pale cream, amber (slow) and orange to dark
 * red (stopped): it stays readable with red-green colour blindness because lightness and the blue-orange axis
 * carry the meaning. The middle (55–72 % of free flow) is amber, never the grey an orange-to-blue blend makes
 * (close to the no-data grey): a pale cream sits between amber and blue instead (checked under a simulated
 * deuteranopia in colour.test.ts).
 */
export const SPEED_RAMP: Ramp = [
  [0, '#67001f'],
  [0.25, '#c2373a'],
  [0.5, '#f08c3a'],
  [0.7, '#fdc44e'],
  [0.8, '#f4f1d6'],
  [0.86, '#c6e2f3'],
  [0.93, '#4a8fd0'],
  [1, '#2166ac'],
];

/** What the speed ramp's colours mean, in words, at their share of free-flow speed (for the legend). */
export const SPEED_WORDS: readonly (readonly [number, string])[] = [
  [0, 'stopped'], [0.25, 'crawling'], [0.6, 'slow'], [1, 'flowing freely'],
];

/** Building power as a share of its power limit: a single-hue purple ramp, light (idle) to dark (at limit). */
export const LOAD_RAMP: Ramp = [
  [0, '#f2f0f7'],
  [0.5, '#9e9ac8'],
  [1, '#3f007d'],
];

/**
 * Building energy per floor area over the last 24 hours (kWh/m²), light to dark orange-brown: one hue, so it
 * reads by lightness for every kind of colour vision, and distinct from the purple of the load ramp. A typical
 * public building uses 150–300 kWh/m² a year, 0.4–0.8 a day: the middle of the ramp.
 */
export const INTENSITY_RAMP: Ramp = [
  [0, '#fff5eb'],
  [0.4, '#fdae6b'],
  [0.8, '#e6550d'],
  [1.6, '#7f2704'],
];

/** Wi-Fi clients as a share of capacity, for the hour-of-day strips: one green hue, light to dark. */
export const CLIENTS_RAMP: Ramp = [
  [0, '#f7fcf5'],
  [0.25, '#a1d99b'],
  [0.5, '#41ab5d'],
  [1, '#00441b'],
];

/**
 * A speed difference against the usual week (km/h): orange slower, purple faster, white the same (PuOr, a
 * diverging scheme safe for colour-blind readers).
 */
export const DIFF_RAMP: Ramp = [
  [-20, '#b35806'],
  [-5, '#fdb863'],
  [0, '#f7f7f7'],
  [5, '#b2abd2'],
  [20, '#542788'],
];

/** Colour of an asset that has had no reading yet. */
export const NO_DATA_COLOUR = '#9aa0a6';
/** An offline asset: pale fill or line, drawn over with dark grey dashes (lines) or a ring and dot (points). */
export const OFFLINE_FILL = '#eceff1';
export const OFFLINE_MARK = '#4a5058';
/** Fill colour of Wi-Fi hotspots: their size, not their hue, carries the number of clients. */
export const HOTSPOT_COLOUR = '#1b9e77';

/**
 * Rings and halos of open alerts, by severity: magenta, amber and cyan, hues no ramp of the map uses, so an
 * alert never reads as a speed or a load. Severity is also in the ring's width and, in the list, in words.
 */
export const SEVERITY_COLOUR = { critical: '#d01c8b', warning: '#f4a300', info: '#00a3d9' } as const;

export type Rgb = readonly [number, number, number];

/** Parses `#rgb` or `#rrggbb`. */
export function hexToRgb(hex: string): Rgb {
  const m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(hex);
  if (!m) throw new RangeError(`not a hex colour: ${hex}`);
  let h = m[1]!;
  if (h.length === 3) h = [...h].map((c) => c + c).join('');
  const n = Number.parseInt(h, 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** Formats an RGB triple (rounded, clamped) as `#rrggbb`. */
export function rgbToHex([r, g, b]: Rgb): string {
  const part = (v: number) => Math.max(0, Math.min(255, Math.round(v))).toString(16).padStart(2, '0');
  return `#${part(r)}${part(g)}${part(b)}`;
}

/** The ramp's colour at `t`, clamped to the ramp's ends. */
export function rampColour(ramp: Ramp, t: number): string {
  const first = ramp[0];
  const last = ramp[ramp.length - 1];
  if (!first || !last) throw new RangeError('empty ramp');
  if (!Number.isFinite(t) || t <= first[0]) return first[1];
  if (t >= last[0]) return last[1];
  for (let i = 1; i < ramp.length; i++) {
    const [v1, c1] = ramp[i]!;
    if (t <= v1) {
      const [v0, c0] = ramp[i - 1]!;
      const f = (t - v0) / (v1 - v0);
      const a = hexToRgb(c0);
      const b = hexToRgb(c1);
      return rgbToHex([a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f]);
    }
  }
  return last[1];
}

/**
 * A MapLibre paint expression colouring a feature by the number in its feature-state `key` along `ramp`,
 * or `noData` while the feature has no such state yet.
 */
export function rampExpression(ramp: Ramp, key: string, noData: string = NO_DATA_COLOUR): unknown[] {
  return [
    'case',
    ['==', ['typeof', ['feature-state', key]], 'number'],
    ['interpolate', ['linear'], ['number', ['feature-state', key]], ...ramp.flat()],
    noData,
  ];
}

/** A CSS `linear-gradient` showing the ramp left to right, for legends. */
export function rampGradientCss(ramp: Ramp): string {
  const first = ramp[0]?.[0] ?? 0;
  const span = (ramp[ramp.length - 1]?.[0] ?? 1) - first || 1;
  const stops = ramp.map(([v, c]) => `${c} ${Math.round(((v - first) / span) * 100)}%`);
  return `linear-gradient(to right, ${stops.join(', ')})`;
}

/** Distance between two colours in RGB space (0–441): how tests decide a pixel "is" a colour. */
export function colourDistance(a: string | Rgb, b: string | Rgb): number {
  const x = typeof a === 'string' ? hexToRgb(a) : a;
  const y = typeof b === 'string' ? hexToRgb(b) : b;
  return Math.hypot(x[0] - y[0], x[1] - y[1], x[2] - y[2]);
}
