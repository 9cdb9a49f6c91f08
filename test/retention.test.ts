import { describe, expect, it } from 'vitest';
import { parseConfig } from '@cityhub/contracts';
import { retentionCutoffs } from '../src/ops/retention.js';

describe('retentionCutoffs', () => {
  const now = Date.UTC(2026, 10, 23, 10, 37, 12);
  it('keeps raw a whole hour past its retention, and each rollup for its own', () => {
    const c = Object.fromEntries(retentionCutoffs(parseConfig({}), now));
    expect(new Date(c.raw!).toISOString()).toBe('2026-10-24T09:00:00.000Z');
    expect(now - c['1m']!).toBe(90 * 86_400_000);
    expect(now - c['15m']!).toBe(730 * 86_400_000);
    expect(c['1h']).toBeUndefined();
  });
  it('follows the configuration, and refuses a coarser retention shorter than a finer one', () => {
    const c = Object.fromEntries(retentionCutoffs(parseConfig({ CITYHUB_RETENTION_1H_DAYS: '1000' }), now));
    expect(now - c['1h']!).toBe(1000 * 86_400_000);
    expect(() => parseConfig({ CITYHUB_RETENTION_RAW_DAYS: '100' })).toThrow(/CITYHUB_RETENTION_1M_DAYS: must be at least CITYHUB_RETENTION_RAW_DAYS/);
  });
});
