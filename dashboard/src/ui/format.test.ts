import { describe, expect, it } from 'vitest';
import { HOTSPOT, LINK } from '../../test/fixtures/assets.js';
import { pickedId, optionText } from './controls.js';
import { detailRows } from '../panel/details.js';
import { formatAge, formatChange, formatNumber, formatPct, formatValue, metricLabel } from './format.js';
import { tooltipContent } from '../map/tooltip.js';

describe('formatValue', () => {
  it('adds units and groups thousands', () => {
    expect(formatValue('speed_kmh', 42.4)).toBe('42 km/h');
    expect(formatValue('power_kw', 120.46)).toBe('120.5 kW');
    expect(formatValue('rx_kbps', 1200)).toBe('1,200 kbit/s');
    expect(formatValue('clients', 35)).toBe('35');
    expect(formatValue('mystery', 1.234)).toBe('1.23');
    expect(metricLabel('occupancy_pct')).toBe('Occupancy');
  });
  it('says coarsely how old a reading is', () => {
    const now = Date.UTC(2025, 0, 1, 12);
    expect(formatAge('2025-01-01T11:59:50Z', now)).toBe('10 s ago');
    expect(formatAge('2025-01-01T11:57:00Z', now)).toBe('3 min ago');
    expect(formatAge('2025-01-01T09:00:00Z', now)).toBe('3 h ago');
  });
  it('formats shares, changes and plain numbers', () => {
    expect(formatPct(0.375)).toBe('38%');
    expect(formatChange(0.1)).toBe('+10%');
    expect(formatChange(-0.255)).toBe('-25.5%');
    expect(formatChange(null)).toBe('–');
    expect(formatNumber(1234.567, 1)).toBe('1,234.6');
  });
});

describe('tooltipContent', () => {
  const now = Date.UTC(2025, 0, 1, 12);
  it('shows the name, current values and free-flow speed of a link', () => {
    const c = tooltipContent(LINK, { values: { speed_kmh: 5 }, ts: Date.parse('2025-01-01T11:59:30Z'), offline: false }, now);
    expect(c).toEqual({
      title: 'Egnatia (east)',
      rows: [['Speed', '5 km/h'], ['Free-flow speed', '50 km/h (assumed)'], ['Updated', '30 s ago']],
    });
  });
  it('says "no data" (never "offline") without a reading', () => {
    expect(tooltipContent(HOTSPOT, null, now).rows).toEqual([['Reading', 'no data'], ['Capacity', '400 clients']]);
  });
  it('says when a reading of the past was read, not how long ago', () => {
    expect(tooltipContent(LINK, { values: { speed_kmh: 20 }, ts: Date.parse('2025-01-01T06:15:00Z'), offline: false }, now, false).rows)
      .toEqual([['Speed', '20 km/h'], ['Free-flow speed', '50 km/h (assumed)'], ['Read at', 'Wed 1 Jan, 08:15']]);
  });
  it('flags an offline asset and how old its last reading is', () => {
    expect(tooltipContent(HOTSPOT, { values: { clients: 12 }, ts: now - 40 * 60_000, offline: true }, now).rows).toEqual([
      ['Status', 'offline'], ['Clients', '12'], ['Capacity', '400 clients'], ['Last reading', '40 min ago'],
    ]);
  });
});

describe('details and search', () => {
  it('marks simulated and assumed facts', () => {
    expect(detailRows(LINK.properties)).toContainEqual(['Free-flow speed', '50 km/h (assumed from road class)']);
    expect(detailRows(HOTSPOT.properties)).toContainEqual(['Capacity', '400 clients (simulated)']);
  });
  it('reads the id back from a search option or a bare id', () => {
    const has = (id: string) => id === 'link-1';
    expect(pickedId(optionText(LINK), has)).toBe('link-1');
    expect(pickedId(' link-1 ', has)).toBe('link-1');
    expect(pickedId('Egnatia', has)).toBeNull();
  });
});
