import { describe, expect, it } from 'vitest';
import type { SeriesResponse } from '@cityhub/contracts';
import { COLLECTION } from '../../test/fixtures/assets.js';
import type { SeriesQuery } from '../data/api.js';
import { AssetIndex } from '../model/assets.js';
import { HistoryMap } from './history.js';
import { SeriesCache } from '../data/series-cache.js';
import type { StateUpdate } from './live-state.js';

const MIN = 60_000;
const T0 = Date.UTC(2025, 0, 1, 8);
const iso = (t: number) => new Date(t).toISOString();

/** Answers per kind: the link slow at 08:00–08:05, the hotspot silent since 07:30, the building never. */
function answer(q: SeriesQuery): Promise<SeriesResponse> {
  const series = q.kind === 'traffic'
    ? [{ asset: 'link-1', points: [[iso(T0), 10], [iso(T0 + 5 * MIN), 20]] as [string, number][] }]
    : q.kind === 'wifi' ? [{ asset: 'hotspot-aristotelous-square', points: [[iso(T0 - 30 * MIN), 50]] as [string, number][] }] : [];
  const inWindow = series.map((s) => ({ ...s, points: s.points.filter(([t]) => Date.parse(t) >= q.from && Date.parse(t) < q.to) }));
  return Promise.resolve({ metric: q.metric, agg: q.agg, step_s: 60, from: iso(q.from), to: iso(q.to), series: inWindow });
}

function setup(since = T0 - 86_400_000) {
  const asked: SeriesQuery[] = [];
  const writes: StateUpdate[][] = [];
  const cache = new SeriesCache((q) => {
    asked.push(q);
    return answer(q);
  }, (q) => `${q.kind}${q.from}`, 64, () => T0 + 86_400_000);
  const history = new HistoryMap({
    cache, assets: new AssetIndex([COLLECTION]), intervalOf: () => 60_000, reports: (id) => id !== 'building-rotunda',
    sink: (u) => writes.push(u), since: () => since,
  });
  return { history, writes, asked };
}

describe('HistoryMap', () => {
  it('shows each asset\'s bucket at the moment, flags silent reporters offline, leaves the rest blank', async () => {
    const { history, writes } = setup();
    expect(await history.showAt(T0 + 6 * MIN, '1m')).toBe(true);
    const byId = new Map(writes[0]!.map((u) => [u.id, u.state]));
    // One-minute devices go offline after 3 minutes: the link's 08:05 bucket is 1 minute old at 08:06.
    expect(byId.get('link-1')).toMatchObject({ speed_kmh: 20, ratio: 0.4, ts: T0 + 5 * MIN, offline: false });
    expect(byId.get('hotspot-aristotelous-square')).toMatchObject({ clients: null, offline: true, ts: T0 - 30 * MIN });
    expect(byId.get('building-rotunda')).toMatchObject({ power_kw: null, ratio: null, offline: false });
    expect(history.shownOf('link-1')).toEqual({ values: { speed_kmh: 20 }, ts: T0 + 5 * MIN, offline: false });

    await history.showAt(T0 + 9 * MIN, '1m');
    expect(writes[1]!.find((u) => u.id === 'link-1')?.state).toMatchObject({ speed_kmh: null, offline: true, ts: T0 + 5 * MIN });
  });

  it('says "no data", never offline, before the retained history starts', async () => {
    const { history, writes } = setup(T0 + 5 * MIN);
    await history.showAt(T0 + 6 * MIN, '1m');
    const byId = new Map(writes[0]!.map((u) => [u.id, u.state]));
    // The hotspot was silent for 36 minutes, but the hub's history starts at 08:05: nothing is known of 08:03–08:06.
    expect(byId.get('hotspot-aristotelous-square')).toMatchObject({ clients: null, offline: false, ts: null });
    expect(history.shownOf('hotspot-aristotelous-square')).toBeNull();
    expect(byId.get('link-1')).toMatchObject({ speed_kmh: 20, offline: false });
  });

  it('reads fixed windows once, and draws only the newest of overlapping asks', async () => {
    const { history, writes, asked } = setup();
    const first = history.showAt(T0 + 2 * MIN, '1m');
    const second = history.showAt(T0 + 3 * MIN, '1m');
    expect(await first).toBe(false);
    expect(await second).toBe(true);
    expect(writes).toHaveLength(1);
    // 2-hour windows aligned to the epoch: 08:03 with a 15-minute lookback needs 06:00–08:00 and 08:00–10:00.
    expect(asked.filter((q) => q.kind === 'traffic').map((q) => [iso(q.from), q.step])).toEqual([
      ['2025-01-01T06:00:00.000Z', '60s'], ['2025-01-01T08:00:00.000Z', '60s'],
    ]);
  });
});
