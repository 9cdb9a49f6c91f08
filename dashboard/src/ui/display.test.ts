import { describe, expect, it } from 'vitest';
import { BUILDING, LINK } from '../../test/fixtures/assets.js';
import { displayState } from './display.js';

describe('displayState', () => {
  it('writes every metric of the kind, the ratio, the time and the offline flag', () => {
    expect(displayState(LINK.properties, { values: { speed_kmh: 25, flow_veh_h: 800 }, ts: 1000, offline: false })).toEqual({
      speed_kmh: 25, travel_time_s: null, flow_veh_h: 800, occupancy_pct: null, ratio: 0.5, ts: 1000, offline: false,
    });
  });
  it('blanks everything without a reading, and keeps an offline asset\'s last values', () => {
    expect(displayState(BUILDING.properties, null)).toEqual({ power_kw: null, energy_kwh: null, ratio: null, ts: null, offline: false });
    expect(displayState(BUILDING.properties, { values: { power_kw: 48 }, ts: 5, offline: true }))
      .toEqual({ power_kw: 48, energy_kwh: null, ratio: 0.5, ts: 5, offline: true });
  });
});
