import { describe, expect, it } from 'vitest';
import { refusalHint, TS_HINT } from './feedback.js';
import { validateTelemetry } from './readings.js';

const now = Date.UTC(2026, 11, 5, 8, 0, 0);

describe('what a device is told of a refused reading', () => {
  it('says a ts without an offset has none, and names ts', () => {
    const r = validateTelemetry('traffic', JSON.stringify({ ts: '2026-12-05T08:30:00', seq: 1, speed_kmh: 3 }), { now });
    expect(r.rejected).toEqual([expect.objectContaining({ reason: 'schema', field: 'ts' })]);
    expect(r.rejected[0]!.message).toMatch(/has no UTC offset: add Z or \+hh:mm/);
    expect(refusalHint('traffic', 'schema', 'ts')).toBe(TS_HINT);
    const other = validateTelemetry('traffic', { ts: 'yesterday', seq: 1, speed_kmh: 3 }, { now });
    expect(other.rejected[0]!.message).toMatch(/is not ISO 8601 with an offset/);
    expect(validateTelemetry('traffic', { ts: true, seq: 1, speed_kmh: 3 }, { now }).rejected[0]!.message).toMatch(/ts: a string or a number, not boolean/);
  });

  it('names a misspelt field, a value out of range with its range, and a future ts', () => {
    const misspelt = validateTelemetry('traffic', { ts: now, seq: 1, speed_kmhh: 3 }, { now }).rejected[0]!;
    expect(misspelt).toMatchObject({ reason: 'schema', field: 'speed_kmhh' });
    expect(refusalHint('traffic', misspelt.reason, misspelt.field ?? null)).toBe('fields of a traffic reading: ts, seq, speed_kmh (required); optional: travel_time_s, flow_veh_h, occupancy_pct');
    const fast = validateTelemetry('traffic', { ts: now, seq: 1, speed_kmh: 300 }, { now }).rejected[0]!;
    expect(fast).toMatchObject({ reason: 'out_of_range', field: 'speed_kmh' });
    expect(refusalHint('traffic', 'out_of_range', 'speed_kmh')).toBe('speed_kmh: a number from 0 to 250');
    expect(refusalHint('wifi', 'out_of_range', 'clients')).toBe('clients: an integer from 0 to 100000');
    const ahead = validateTelemetry('traffic', { ts: now + 86_400_000, seq: 1, speed_kmh: 3 }, { now }).rejected[0]!;
    expect(ahead).toMatchObject({ reason: 'ts_future', field: 'ts' });
    expect(refusalHint('traffic', 'ts_future', 'ts')).toBe(`${TS_HINT}, at most 300 s ahead of the hub clock (check the device's clock and offset)`);
    expect(refusalHint(null, 'malformed_json', null)).toMatch(/^one JSON object, or an array of up to 5000/);
  });
});
