import { describe, expect, it } from 'vitest';
import { backoffDelay, parseLiveFrame } from './live.js';

describe('backoffDelay', () => {
  const opts = { baseMs: 500, maxMs: 15_000, jitter: 0.3 };
  it('doubles from the base and stops at the cap (no jitter at random() = 1)', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 10].map((a) => backoffDelay(a, opts, () => 1))).toEqual([500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000]);
  });
  it('takes off at most the jitter share', () => {
    expect(backoffDelay(2, opts, () => 0)).toBe(1400);
    for (let i = 0; i < 100; i++) {
      const d = backoffDelay(3, opts);
      expect(d).toBeGreaterThanOrEqual(2800);
      expect(d).toBeLessThanOrEqual(4000);
    }
  });
});

describe('parseLiveFrame', () => {
  it('accepts a reading as api.ts describes it', () => {
    const frame = JSON.stringify({ type: 'reading', kind: 'traffic', asset: 'link-1', device: 'd1', ts: '2025-01-01T00:00:00.000Z', values: { speed_kmh: 42 } });
    expect(parseLiveFrame(frame)).toEqual(JSON.parse(frame));
  });
  it('accepts an alert event', () => {
    const event = { id: 'a:opened', alert: 'a', rule: 'building-power', kind: 'energy', asset: 'building-rotunda', severity: 'critical', state: 'opened', at: '2025-01-01T00:00:00.000Z', value: 374, message: 'm', by: null };
    expect(parseLiveFrame(JSON.stringify({ type: 'alert', event }))).toEqual({ type: 'alert', event });
    expect(parseLiveFrame(JSON.stringify({ type: 'alert', event: { ...event, state: 'closed' } }))).toBeNull();
  });
  it('accepts a tick\'s readings', () => {
    const frame = JSON.stringify({ type: 'readings', readings: [{ type: 'reading', kind: 'wifi', asset: 'a', device: 'd', ts: '2025-01-01T00:00:00.000Z', values: { clients: 3 } }] });
    expect(parseLiveFrame(frame)).toEqual(JSON.parse(frame));
  });
  it('accepts the hello', () => {
    expect(parseLiveFrame('{"type":"hello","kinds":["wifi"],"assets":null}')).toMatchObject({ type: 'hello' });
  });
  it('rejects what is not JSON, not a string, or not a LiveMessage', () => {
    expect(parseLiveFrame('{nope')).toBeNull();
    expect(parseLiveFrame(new ArrayBuffer(2))).toBeNull();
    expect(parseLiveFrame('{"type":"reading","kind":"bus","asset":"a","device":"d","ts":"x","values":{}}')).toBeNull();
    expect(parseLiveFrame('{"type":"reading","kind":"wifi","asset":"a","device":"d","ts":"x","values":{"clients":"3"}}')).toBeNull();
  });
});
