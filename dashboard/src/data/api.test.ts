import { describe, expect, it } from 'vitest';
import { apiUrl, liveUrl, RuleNames, seriesUrl } from './api.js';

describe('API URLs', () => {
  it('puts paths under /api/v1 of the page origin', () => {
    expect(apiUrl('http://127.0.0.1:8080', '/assets', { kind: 'traffic' })).toBe('http://127.0.0.1:8080/api/v1/assets?kind=traffic');
    expect(apiUrl('https://hub.example.org', '/boundary')).toBe('https://hub.example.org/api/v1/boundary');
  });

  it('builds a series URL with ISO times, step and aggregate', () => {
    const url = new URL(seriesUrl('http://h:1', {
      asset: ['link-7'], metric: 'speed_kmh', from: Date.UTC(2025, 0, 2, 10), to: Date.UTC(2025, 0, 2, 11), step: '60s', agg: 'mean',
    }));
    expect(url.pathname).toBe('/api/v1/series');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      asset: 'link-7', metric: 'speed_kmh', from: '2025-01-02T10:00:00.000Z', to: '2025-01-02T11:00:00.000Z', step: '60s', agg: 'mean',
    });
  });

  it('encodes asset ids that need it', () => {
    const url = new URL(apiUrl('http://h:1', '/series', { asset: 'a&b c' }));
    expect(url.searchParams.get('asset')).toBe('a&b c');
  });

  it('asks for several assets or a whole kind', () => {
    const q = { metric: 'clients', from: 0, to: 3_600_000, step: '15m', agg: 'count' } as const;
    expect(seriesUrl('http://h:1', { ...q, asset: ['a', 'b'] })).toBe(
      'http://h:1/api/v1/series?asset=a%2Cb&metric=clients&from=1970-01-01T00%3A00%3A00.000Z&to=1970-01-01T01%3A00%3A00.000Z&step=15m&agg=count');
    expect(new URL(seriesUrl('http://h:1', { ...q, kind: 'wifi' })).searchParams.get('kind')).toBe('wifi');
  });

  it('opens the live socket with the page scheme', () => {
    expect(liveUrl({ protocol: 'http:', host: '127.0.0.1:8080' })).toBe('ws://127.0.0.1:8080/api/v1/live');
    expect(liveUrl({ protocol: 'https:', host: 'hub.example.org' }, ['traffic', 'wifi'])).toBe('wss://hub.example.org/api/v1/live?kind=traffic%2Cwifi');
  });
});

describe('RuleNames', () => {
  it('keeps the names of the valid rules by id', () => {
    const r = RuleNames.safeParse({
      rules: [
        { id: 'building-power', name: 'Building power above its limit', severity: 'critical', enabled: true, type: 'threshold', kind: 'energy', metric: 'power_kw', op: 'above', relative_to: 'power_limit_kw', factor: 1, for_s: 300 },
        { id: 'broken', name: 'no type' },
      ],
    });
    expect(r.success && [...r.data]).toEqual([['building-power', 'Building power above its limit']]);
  });
});
