import { describe, expect, it } from 'vitest';
import { DEFAULT_STATE, formatUrlState, parseUrlState } from './url-state.js';

describe('URL state', () => {
  it('is empty for the defaults, and the defaults come back from nothing', () => {
    expect(formatUrlState(DEFAULT_STATE)).toBe('');
    expect(parseUrlState('')).toEqual(DEFAULT_STATE);
  });

  it('round-trips a full state', () => {
    const s = {
      camera: { zoom: 13.25, lat: 40.63212, lng: 22.94781 }, view: 'energy', asset: 'building-rotunda', t: Date.UTC(2025, 10, 4, 6, 15), hidden: ['wifi', 'boundary'], buildings: 'intensity',
      speed: '1h', range: '7d', compare: true, period: '30d',
    } as const;
    const text = formatUrlState({ ...s, hidden: [...s.hidden] });
    expect(text).toBe('?view=energy&asset=building-rotunda&t=2025-11-04T06%3A15%3A00.000Z&off=wifi%2Cboundary&buildings=intensity&speed=1h&range=7d&compare=1&period=30d&map=13.25%2F40.63212%2F22.94781');
    expect(parseUrlState(text)).toEqual({ ...s, hidden: ['wifi', 'boundary'] });
  });

  it('links to the KPI page and the alerts, and hides the alert rings', () => {
    expect(parseUrlState('?view=kpis&period=24h')).toMatchObject({ view: 'kpis', period: '24h' });
    expect(parseUrlState('?view=alerts&off=alerts')).toMatchObject({ view: 'alerts', hidden: ['alerts'] });
    expect(formatUrlState({ ...DEFAULT_STATE, view: 'kpis', period: '30d' })).toBe('?view=kpis&period=30d');
  });

  it('falls back to defaults on what it does not know', () => {
    expect(parseUrlState('?view=sewers&t=yesterday&off=roads,rivers,roads&speed=9x&range=2y&compare=yes')).toEqual({
      ...DEFAULT_STATE, hidden: ['roads'],
    });
    expect(parseUrlState('?t=live').t).toBeNull();
    expect(parseUrlState('?map=12/95/22.9').camera).toBeNull();
    expect(parseUrlState('?map=12/40.6/22.9').camera).toEqual({ zoom: 12, lat: 40.6, lng: 22.9 });
  });
});
