import { describe, expect, it } from 'vitest';
import { colourDistance, hexToRgb, LOAD_RAMP, NO_DATA_COLOUR, rampColour, rampExpression, rampGradientCss, rgbToHex, SPEED_RAMP } from './colour.js';
import type { Rgb } from './colour.js';

describe('hex colours', () => {
  it('round-trips #rrggbb and expands #rgb', () => {
    expect(hexToRgb('#2166ac')).toEqual([0x21, 0x66, 0xac]);
    expect(rgbToHex(hexToRgb('#2166ac'))).toBe('#2166ac');
    expect(hexToRgb('#fa0')).toEqual([255, 170, 0]);
  });
  it('rounds and clamps channels', () => {
    expect(rgbToHex([-3, 127.6, 300])).toBe('#0080ff');
  });
  it('refuses what is not a hex colour', () => {
    expect(() => hexToRgb('red')).toThrow(RangeError);
  });
});

describe('rampColour', () => {
  it('gives the stop colours at the stops', () => {
    for (const [v, c] of SPEED_RAMP) expect(rampColour(SPEED_RAMP, v)).toBe(c);
  });
  it('clamps below the first and above the last stop', () => {
    expect(rampColour(SPEED_RAMP, -1)).toBe('#67001f');
    expect(rampColour(SPEED_RAMP, 1.7)).toBe('#2166ac');
    expect(rampColour(SPEED_RAMP, Number.NaN)).toBe('#67001f');
  });
  it('interpolates linearly in RGB between stops', () => {
    // Halfway between #f08c3a (0.5) and #fdc44e (0.7).
    expect(rampColour(SPEED_RAMP, 0.6)).toBe(rgbToHex([(0xf0 + 0xfd) / 2, (0x8c + 0xc4) / 2, (0x3a + 0x4e) / 2]));
  });
  it('makes a stopped road clearly different from a free-flowing one and from no data', () => {
    expect(colourDistance(rampColour(SPEED_RAMP, 0.1), rampColour(SPEED_RAMP, 1))).toBeGreaterThan(150);
    expect(colourDistance(rampColour(SPEED_RAMP, 0.1), '#9aa0a6')).toBeGreaterThan(100);
  });
  it('runs light to dark for building load', () => {
    const lum = (c: string) => hexToRgb(c).reduce((a, b) => a + b, 0);
    expect(lum(rampColour(LOAD_RAMP, 0))).toBeGreaterThan(lum(rampColour(LOAD_RAMP, 0.5)));
    expect(lum(rampColour(LOAD_RAMP, 0.5))).toBeGreaterThan(lum(rampColour(LOAD_RAMP, 1)));
  });
});

describe('rampExpression', () => {
  it('interpolates the feature-state key over the stops and falls back to the no-data colour', () => {
    expect(rampExpression([[0, '#000000'], [1, '#ffffff']], 'ratio', '#999999')).toEqual([
      'case',
      ['==', ['typeof', ['feature-state', 'ratio']], 'number'],
      ['interpolate', ['linear'], ['number', ['feature-state', 'ratio']], 0, '#000000', 1, '#ffffff'],
      '#999999',
    ]);
  });
});

describe('rampGradientCss', () => {
  it('places stops by value', () => {
    expect(rampGradientCss([[0, '#000000'], [0.25, '#777777'], [1, '#ffffff']]))
      .toBe('linear-gradient(to right, #000000 0%, #777777 25%, #ffffff 100%)');
  });
});

/** sRGB (0–255) to linear light and back. */
const toLinear = (c: number) => (c / 255 <= 0.04045 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
const toSrgb = (l: number) => 255 * (l <= 0.0031308 ? 12.92 * l : 1.055 * l ** (1 / 2.4) - 0.055);

/**
 * How a colour looks with deuteranopia: Machado, Oliveira and Fernandes (2009), "A physiologically-based model
 * for simulation of color vision deficiency", severity 1.0 matrix, applied in linear RGB.
 */
function deuteranopia(hex: string): Rgb {
  const [r, g, b] = hexToRgb(hex).map(toLinear) as [number, number, number];
  const m = [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.01182, 0.04294, 0.968881]];
  return m.map(([x, y, z]) => toSrgb(Math.min(1, Math.max(0, x! * r + y! * g + z! * b)))) as unknown as Rgb;
}

/** Hue in degrees (0–360) and saturation (0–1, HSL) of a colour. */
function hueSat(hex: string): [number, number] {
  const [r, g, b] = hexToRgb(hex).map((c) => c / 255) as [number, number, number];
  const max = Math.max(r, g, b), min = Math.min(r, g, b), d = max - min, l = (max + min) / 2;
  if (d === 0) return [0, 0];
  const h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return [(h * 60 + 360) % 360, d / (1 - Math.abs(2 * l - 1))];
}

describe('the speed ramp', () => {
  const steps = Array.from({ length: 101 }, (_, i) => i / 100);

  it('reads amber, not grey, in its middle (55–72 % of free flow)', () => {
    for (const t of steps.filter((x) => x >= 0.55 && x <= 0.72)) {
      const [hue, sat] = hueSat(rampColour(SPEED_RAMP, t));
      expect(hue, `hue at ${t}`).toBeGreaterThanOrEqual(25);
      expect(hue, `hue at ${t}`).toBeLessThanOrEqual(50);
      expect(sat, `saturation at ${t}`).toBeGreaterThan(0.8);
    }
  });

  it('stays apart from the no-data grey everywhere, for normal and deuteranope vision, most of all in the middle', () => {
    const grey = deuteranopia(NO_DATA_COLOUR);
    for (const t of steps) {
      const c = rampColour(SPEED_RAMP, t);
      const middle = t >= 0.55 && t <= 0.72;
      // Where light blue darkens to blue it passes grey's lightness; its hue (blue, seen by deuteranopes too) parts them.
      expect(colourDistance(c, NO_DATA_COLOUR), `at ${t}`).toBeGreaterThan(middle ? 100 : 60);
      expect(colourDistance(deuteranopia(c), grey), `at ${t}, deuteranopia`).toBeGreaterThan(middle ? 100 : 50);
    }
  });

  it('keeps slow (60 %) apart from free flow and from stopped for deuteranope vision', () => {
    const slow = deuteranopia(rampColour(SPEED_RAMP, 0.6));
    expect(colourDistance(slow, deuteranopia(rampColour(SPEED_RAMP, 1)))).toBeGreaterThan(120);
    expect(colourDistance(slow, deuteranopia(rampColour(SPEED_RAMP, 0.1)))).toBeGreaterThan(120);
  });
});
