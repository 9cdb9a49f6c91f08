import { describe, expect, it } from 'vitest';
import { jsonDepth, MAX_EPOCH_MS, MAX_JSON_DEPTH, MAX_READINGS_PER_MESSAGE, validateTelemetry } from './readings.js';

const now = Date.UTC(2026, 10, 23, 8, 0, 0);
const opts = { now };

describe('validateTelemetry', () => {
  it('accepts one reading with ISO or epoch-ms time and keeps only metrics', () => {
    const r = validateTelemetry('traffic', Buffer.from(JSON.stringify({ ts: '2026-11-23T09:59:00+02:00', seq: 3, speed_kmh: 44.5, flow_veh_h: 800 })), opts);
    expect(r.rejected).toEqual([]);
    expect(r.accepted).toEqual([{ ts: now - 60_000, seq: 3, values: { speed_kmh: 44.5, flow_veh_h: 800 } }]);
    const e = validateTelemetry('energy', { ts: now, seq: 0, power_kw: 12, energy_kwh: 1000 }, opts);
    expect(e.accepted[0]!.values).toEqual({ power_kw: 12, energy_kwh: 1000 });
  });

  it('keeps the good readings of an array and names each bad one', () => {
    const r = validateTelemetry('wifi', JSON.stringify([
      { ts: now, seq: 1, clients: 10 },
      { ts: now, seq: 2, clients: -1 },
      { ts: now, seq: 3 },
      { ts: now, seq: 4, clients: 5, extra: 1 },
      { ts: now + 3_600_000, seq: 5, clients: 5 },
      { ts: now - 40 * 86_400_000, seq: 6, clients: 5 },
      { ts: 1_700_000_000, seq: 7, clients: 5 },
      { ts: now, seq: 8, clients: 7 },
    ]), opts);
    expect(r.accepted.map((a) => a.seq)).toEqual([1, 8]);
    expect(r.rejected.map((x) => [x.index, x.reason])).toEqual([
      [1, 'out_of_range'], [2, 'schema'], [3, 'schema'], [4, 'ts_future'], [5, 'ts_too_old'], [6, 'schema'],
    ]);
    expect(r.rejected[1]!.message).toMatch(/clients/);
    expect(r.rejected[2]!.message).toMatch(/extra/);
    expect(r.rejected[5]!.message).toMatch(/milliseconds/);
  });

  it.each([
    ['occupancy over 100', { ts: now, seq: 1, speed_kmh: 50, occupancy_pct: 101 }],
    ['speed over 250', { ts: now, seq: 1, speed_kmh: 251 }],
    ['negative speed', { ts: now, seq: 1, speed_kmh: -1 }],
  ])('rejects %s as out of range', (_n, reading) => {
    expect(validateTelemetry('traffic', reading, opts).rejected[0]!.reason).toBe('out_of_range');
  });

  it('rejects malformed JSON, empty and oversized arrays, non-finite numbers', () => {
    expect(validateTelemetry('traffic', Buffer.from('{"ts":'), opts).rejected[0]!.reason).toBe('malformed_json');
    expect(validateTelemetry('traffic', '[]', opts).rejected[0]!.reason).toBe('schema');
    const many = Array.from({ length: MAX_READINGS_PER_MESSAGE + 1 }, (_, i) => ({ ts: now, seq: i, speed_kmh: 1 }));
    expect(validateTelemetry('traffic', many, opts).rejected[0]!.reason).toBe('too_many_readings');
    expect(validateTelemetry('traffic', { ts: now, seq: 1, speed_kmh: Number.NaN }, opts).accepted).toEqual([]);
    expect(validateTelemetry('traffic', 'null', opts).rejected[0]!.reason).toBe('schema');
    expect(validateTelemetry('traffic', { ts: now, seq: 1.5, speed_kmh: 3 }, opts).rejected[0]!.reason).toBe('schema');
  });

  it('refuses JSON nested too deep before parsing it, with reason too_deep', () => {
    for (const text of ['['.repeat(100_000) + ']'.repeat(100_000), '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000), `{"ts":${now},"seq":1,"speed_kmh":${'['.repeat(40)}${']'.repeat(40)}}`]) {
      const r = validateTelemetry('traffic', Buffer.from(text), opts);
      expect(r.rejected.map((x) => [x.index, x.reason])).toEqual([[null, 'too_deep']]);
      expect(r.rejected[0]!.raw).toBe(text);
    }
    // Brackets inside strings do not count; a message of readings is depth 2.
    expect(jsonDepth('[{"a":"[[[[{{{{\\"}]')).toBe(2);
    expect(jsonDepth('['.repeat(MAX_JSON_DEPTH))).toBe(MAX_JSON_DEPTH);
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(validateTelemetry('traffic', deep, opts).rejected[0]!.reason).toBe('too_deep');
  });

  it('refuses a ts a date cannot hold as ts_out_of_range, and judges ts_future against the time received', () => {
    for (const ts of [MAX_EPOCH_MS + 1, 2 ** 53 - 1, 1e300]) {
      const r = validateTelemetry('traffic', JSON.stringify({ ts, seq: 1, speed_kmh: 3 }), opts);
      expect(r.rejected.map((x) => x.reason)).toEqual(['ts_out_of_range']);
    }
    expect(validateTelemetry('traffic', { ts: MAX_EPOCH_MS, seq: 1, speed_kmh: 3 }, opts).rejected[0]!.reason).toBe('ts_future');
    const later = { ts: now + 3_600_000, seq: 1, speed_kmh: 3 };
    expect(validateTelemetry('traffic', later, { now: now + 7_200_000, receivedAt: now }).rejected[0]!.reason).toBe('ts_future');
    expect(validateTelemetry('traffic', later, { now: now + 7_200_000 }).accepted).toHaveLength(1);
  });

  it('keeps the text of a whole rejected message as sent (1e309 stays 1e309; an array too long, whole)', () => {
    const text = `{"ts":${now},"seq":1,"speed_kmh":1e309}`;
    expect(validateTelemetry('traffic', Buffer.from(text), opts).rejected[0]!.raw).toBe(text);
    const many = JSON.stringify(Array.from({ length: MAX_READINGS_PER_MESSAGE + 1 }, (_, i) => ({ ts: now, seq: i, speed_kmh: 1 })));
    const r = validateTelemetry('traffic', many, opts).rejected[0]!;
    expect([r.reason, r.raw]).toEqual(['too_many_readings', many]);
  });
});
