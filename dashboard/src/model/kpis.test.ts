import { describe, expect, it } from 'vitest';
import { formatKpiValue, formatTarget, hasTarget, KpiList, standingOf, trendOf } from './kpis.js';
import type { Kpi } from './kpis.js';

const kpi = (k: Partial<Kpi>): Kpi => ({
  id: 'congestion_index', name: 'City congestion index', unit: 'ratio', value: 0.2, target: 0.25, direction: 'below', met: true,
  previous: 0.25, change: -0.2, compared_with: 'the period before', ...k,
});

describe('KpiList', () => {
  it('accepts the API\'s answer and refuses a malformed one', () => {
    const body = { from: '2026-11-22T07:00:00.000Z', to: '2026-11-23T07:00:00.000Z', items: [kpi({}), kpi({ value: null, met: null, change: null })] };
    expect(KpiList.safeParse(body)).toEqual({ success: true, data: body });
    expect(KpiList.safeParse({ ...body, items: [kpi({ direction: 'up' as 'above' })] }).success).toBe(false);
    expect(KpiList.safeParse({ ...body, items: [{ ...kpi({}), value: '0.2' }] }).success).toBe(false);
    expect(KpiList.safeParse({ items: [] }).success).toBe(false);
  });
});

describe('formatKpiValue', () => {
  it('shows each unit at its precision, a ratio as a percentage', () => {
    expect(formatKpiValue(0.23456, 'ratio')).toBe('23.5%');
    expect(formatKpiValue(31.25, 'km/h')).toBe('31.3 km/h');
    expect(formatKpiValue(4812.4, 'client-h')).toBe('4,812 client-h');
    expect(formatKpiValue(0.41249, 'kWh/m²')).toBe('0.412 kWh/m²');
    expect(formatKpiValue(2.5, 'things')).toBe('2.50 things');
  });
  it('says "no data" for null, never 0', () => {
    expect(formatKpiValue(null, 'ratio')).toBe('no data');
    expect(formatKpiValue(0, 'ratio')).toBe('0.0%');
  });
});

describe('targets and standing', () => {
  it('states the target as a condition, or none yet for energy with nothing to set it from', () => {
    expect(formatTarget(kpi({}))).toBe('≤ 25.0%');
    expect(formatTarget(kpi({ unit: 'km/h', target: 30, direction: 'above' }))).toBe('≥ 30.0 km/h');
    const noBaseline = kpi({ id: 'energy_per_m2', unit: 'kWh/m²', value: 0.4, target: 0, met: null, previous: null, change: null });
    expect(hasTarget(noBaseline)).toBe(false);
    expect(formatTarget(noBaseline)).toBe('none yet');
    expect(standingOf(noBaseline)).toBe('no-target');
    // No data: the target still stands.
    expect(formatTarget(kpi({ value: null, met: null }))).toBe('≤ 25.0%');
    expect(standingOf(kpi({ value: null, met: null }))).toBe('no-data');
    expect(standingOf(kpi({ met: false }))).toBe('not-met');
  });
});

describe('trendOf', () => {
  it('says up or down, by how much, and whether that is better for this KPI', () => {
    expect(trendOf(kpi({}))).toEqual({ arrow: '▼', change: '-20.0%', verdict: 'better', against: 'vs the period before: 25.0%' });
    expect(trendOf(kpi({ unit: 'km/h', direction: 'above', value: 27, previous: 30, change: -0.1 }))).toMatchObject({ arrow: '▼', verdict: 'worse' });
    expect(trendOf(kpi({ change: 0.125 }))).toMatchObject({ arrow: '▲', change: '+12.5%', verdict: 'worse' });
    // Below 0.05 %, no change: not "▲ +0.0% worse".
    expect(trendOf(kpi({ change: 0 }))).toMatchObject({ arrow: '▶', change: '0.0%', verdict: 'unchanged' });
    expect(trendOf(kpi({ change: 0.0004 }))).toMatchObject({ arrow: '▶', change: '0.0%', verdict: 'unchanged' });
    expect(trendOf(kpi({ change: -0.0006 }))).toMatchObject({ arrow: '▼', change: '-0.1%', verdict: 'better' });
    expect(trendOf(kpi({ change: null, previous: null }))).toEqual({ arrow: '', change: '–', verdict: null, against: 'vs the period before: no data' });
  });
  it('shows a moment in the wording in Thessaloniki time', () => {
    const t = trendOf(kpi({ compared_with: 'the first recorded period (from 2026-11-08T06:00:00.000Z)' }));
    expect(t.against).toBe('vs the first recorded period (from Sun 8 Nov, 08:00): 25.0%');
  });
  it('says only that there is nothing to compare with, when there is not', () => {
    const t = trendOf(kpi({ id: 'energy_per_m2', unit: 'kWh/m²', previous: null, change: null, compared_with: 'nothing yet (no earlier energy data)' }));
    expect(t.against).toBe('Nothing yet (no earlier energy data)');
  });
});
