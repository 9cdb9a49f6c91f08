import type { AlertEvent, Kind } from '@cityhub/contracts';
import { expect } from 'vitest';
import { capPayload, type DeadLetter, type Point, type SeriesQuery, type Store } from '../src/index.js';
import { MIN, T0, code, pt, raw, type Cases } from './kit.js';

const letter = (received: number, over: Partial<DeadLetter> = {}): DeadLetter => ({
  received,
  device: 'd1',
  topic: 'city/traffic/d1/telemetry',
  reason: 'schema',
  message: 'speed_kmh: expected number',
  payload: '{"ts":1,"seq":1}',
  ...over,
});
const ev = (id: string, alert: string, state: 'opened' | 'acknowledged' | 'cleared', at: number, extra: Partial<AlertEvent> = {}): AlertEvent => ({
  id, alert, rule: 'congestion', kind: 'traffic', asset: 'L1', severity: 'warning', state, at, value: state === 'acknowledged' ? null : 12.5,
  message: `speed 12.5 km/h "low"\non L1`, by: state === 'acknowledged' ? 'op-1' : null, ...extra,
});
const good = pt('L1', 'd1', T0, { speed_kmh: 50 });

/** Dead letters: generated ids, newest first, filters, limits, deletion by id. */
export const deadLetterCases: Cases = {
  'deletes dead letters by id, and only those': async ({ store }) => {
    const dl = (id: string, received: number): DeadLetter => ({ id, received, device: 'd1', topic: 'city/traffic/d1/telemetry', reason: 'schema', message: 'm', payload: '{}' });
    await store.writeDeadLetters([dl('a', T0), dl('b', T0 + 1), dl('c', T0 + 2)]);
    expect(await store.deleteDeadLetters(['a', 'c', 'zzz'])).toBe(2);
    expect((await store.listDeadLetters({})).map((d) => d.id)).toEqual(['b']);
    expect(await store.deleteDeadLetters([])).toBe(0);
  },

  'stores rows with generated ids and lists them newest first': async ({ store }) => {
    const payload = 'ünïcödé "quoted", back\\slash,\nnew line, tab\t, emoji 🚦';
    await store.writeDeadLetters([
      letter(T0, { payload }),
      letter(T0 + 2_000, { device: null, topic: 'city/traffic/ghost/telemetry', reason: 'unknown_device' }),
      letter(T0 + 1_000, { device: 'd2', reason: 'out_of_range', message: 'occupancy_pct: too big' }),
    ]);
    const rows = await store.listDeadLetters({});
    expect(rows.map((r) => r.received)).toEqual([T0 + 2_000, T0 + 1_000, T0]);
    expect(new Set(rows.map((r) => r.id)).size).toBe(3);
    for (const r of rows) expect(r.id).toMatch(/^\S+$/);
    const ghost = letter(T0 + 2_000, { device: null, topic: 'city/traffic/ghost/telemetry', reason: 'unknown_device' });
    expect(rows[0]).toEqual({ ...ghost, id: rows[0]?.id, ...capPayload(ghost.payload) });
    expect(rows[2]?.payload).toBe(payload);
  },

  'filters by device, reason and [from, to), and limits': async ({ store }) => {
    await store.writeDeadLetters([
      letter(T0, { device: 'd1', reason: 'schema' }),
      letter(T0 + 1, { device: 'd2', reason: 'schema' }),
      letter(T0 + 2, { device: 'd1', reason: 'ts_future' }),
      letter(T0 + 3, { device: 'd1', reason: 'schema' }),
    ]);
    const at = async (q: Parameters<Store['listDeadLetters']>[0]) => (await store.listDeadLetters(q)).map((r) => r.received - T0);
    expect(await at({ device: 'd1' })).toEqual([3, 2, 0]);
    expect(await at({ reason: 'schema' })).toEqual([3, 1, 0]);
    expect(await at({ device: 'd1', reason: 'schema' })).toEqual([3, 0]);
    expect(await at({ from: T0 + 1, to: T0 + 3 })).toEqual([2, 1]);
    expect(await at({ limit: 2 })).toEqual([3, 2]);
    expect(await at({ device: 'nobody' })).toEqual([]);
  },

  'lists 100 by default and at most 1,000': async ({ store }) => {
    await store.writeDeadLetters(Array.from({ length: 1_050 }, (_, i) => letter(T0 + i)));
    const byDefault = await store.listDeadLetters({});
    expect(byDefault).toHaveLength(100);
    expect(byDefault[0]?.received).toBe(T0 + 1_049);
    expect(await store.listDeadLetters({ limit: 5_000 })).toHaveLength(1_000);
  },
};

/** The alert event log. */
export const alertLogCases: Cases = {
  'keeps events newest first, filters them, and replaces an event written again': async ({ store }) => {
    await store.writeAlertEvents([ev('e1', 'a1', 'opened', T0), ev('e2', 'a1', 'acknowledged', T0 + MIN), ev('e3', 'a2', 'opened', T0 + 2 * MIN, { asset: 'L2' })]);
    await store.writeAlertEvents([ev('e4', 'a1', 'cleared', T0 + 3 * MIN), ev('e1', 'a1', 'opened', T0)]);
    const all = await store.listAlertEvents({});
    expect(all.map((e) => e.id)).toEqual(['e4', 'e3', 'e2', 'e1']);
    expect(all[3]).toEqual(ev('e1', 'a1', 'opened', T0));
    expect(all[2]!.by).toBe('op-1');
    expect(all[2]!.value).toBeNull();
    expect((await store.listAlertEvents({ alert: 'a1' })).map((e) => e.state)).toEqual(['cleared', 'acknowledged', 'opened']);
    expect((await store.listAlertEvents({ asset: 'L2' })).map((e) => e.id)).toEqual(['e3']);
    expect((await store.listAlertEvents({ from: T0 + MIN, to: T0 + 3 * MIN })).map((e) => e.id)).toEqual(['e3', 'e2']);
    expect((await store.listAlertEvents({ limit: 1 })).map((e) => e.id)).toEqual(['e4']);
    expect(await code(store.writeAlertEvents([{ ...ev('x', 'a', 'opened', T0), at: Number.NaN }]))).toBe('STORE_BAD_INPUT');
    expect(await code(store.listAlertEvents({ limit: 0 }))).toBe('STORE_BAD_INPUT');
  },
};

/** Every method refuses bad input with STORE_BAD_INPUT, and a bad batch stores nothing. */
export const badInputCases: Cases = {
  'refuses non-finite values and stores nothing of that batch': async ({ store }) => {
    for (const v of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(await code(store.write([good, pt('L1', 'd1', T0 + 1, { speed_kmh: v })]))).toBe('STORE_BAD_INPUT');
    }
    expect(await raw(store, 'L1', 'speed_kmh', T0 - MIN, T0 + MIN)).toEqual([]);
  },

  'refuses malformed points': async ({ store }) => {
    const cases: Point[] = [
      { ...good, kind: 'trams' as string as Kind },
      { ...good, asset: '' },
      { ...good, device: '' },
      { ...good, ts: T0 + 0.5 },
      { ...good, ts: Number.NaN },
      { ...good, values: {} },
    ];
    for (const p of cases) expect(await code(store.write([p]))).toBe('STORE_BAD_INPUT');
    expect(await store.latest('traffic')).toEqual([]);
  },

  'refuses malformed series queries': async ({ store }) => {
    const q: SeriesQuery = { assets: ['L1'], metric: 'speed_kmh', from: T0, to: T0 + MIN };
    const cases: SeriesQuery[] = [
      { ...q, assets: [] },
      { ...q, to: q.from },
      { ...q, from: q.to + 1 },
      { ...q, stepS: 60, agg: 'median' as string as SeriesQuery['agg'] },
      { ...q, stepS: 60 },
      { ...q, stepS: 0, agg: 'mean' },
      { ...q, stepS: -60, agg: 'mean' },
    ];
    for (const c of cases) expect(await code(store.series(c))).toBe('STORE_BAD_INPUT');
  },

  'refuses other malformed requests': async ({ store }) => {
    expect(await code(store.latest('trams' as string as Kind))).toBe('STORE_BAD_INPUT');
    expect(await code(store.deleteBefore(Number.NaN))).toBe('STORE_BAD_INPUT');
    expect(await code(store.listDeadLetters({ limit: 0 }))).toBe('STORE_BAD_INPUT');
    expect(await code(store.listDeadLetters({ from: T0, to: T0 }))).toBe('STORE_BAD_INPUT');
    expect(await code(store.writeDeadLetters([{ received: Number.NaN, device: null, topic: 't', reason: 'schema', message: '', payload: '' }])))
      .toBe('STORE_BAD_INPUT');
  },
};

/** init and close are idempotent. */
export const lifecycleCases: Cases = {
  'init and close may be called twice': async ({ store }) => {
    await store.init();
    await store.write([pt('L1', 'd1', T0, { speed_kmh: 1 })]);
    await store.close();
    await store.close();
  },
};
