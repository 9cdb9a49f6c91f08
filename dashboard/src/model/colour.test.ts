import { describe, expect, it } from 'vitest';
import { colourDistance, hexToRgb, LOAD_RAMP, rampColour, rampExpression, rampGradientCss, rgbToHex, SPEED_RAMP } from './colour.js';

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
    // Halfway between #f08c3a and #8fb8dc.
    expect(rampColour(SPEED_RAMP, 0.625)).toBe(rgbToHex([(0xf0 + 0x8f) / 2, (0x8c + 0xb8) / 2, (0x3a + 0xdc) / 2]));
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
