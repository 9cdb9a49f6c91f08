import { describe, expect, it } from 'vitest';
import { COLLECTION } from '../../test/fixtures/assets.js';
import { AssetIndex } from '../model/assets.js';
import { LiveState } from './live-state.js';
import type { AssetReading, OfflineTest, StateUpdate } from './live-state.js';

const reading = (asset: string, ts: string, values: Record<string, number>, kind: AssetReading['kind'] = 'traffic'): AssetReading =>
  ({ asset, kind, device: 'dev-1', ts, values });
const T1 = Date.UTC(2025, 0, 1, 0, 1);

function setup(isOffline: OfflineTest = () => false) {
  const writes: StateUpdate[][] = [];
  const frames: (() => void)[] = [];
  const state = new LiveState(new AssetIndex([COLLECTION]), (u) => writes.push(u), (cb) => frames.push(cb), isOffline);
  const runFrame = () => frames.splice(0).forEach((f) => f());
  return { state, writes, frames, runFrame };
}

describe('LiveState', () => {
  it('writes a burst of readings in one frame, newest per asset, every key of the kind', () => {
    const { state, writes, frames, runFrame } = setup();
    state.ingest(reading('link-1', '2025-01-01T00:00:00Z', { speed_kmh: 40 }));
    state.ingest(reading('link-1', '2025-01-01T00:01:00Z', { speed_kmh: 5 }));
    state.ingest(reading('hotspot-aristotelous-square', '2025-01-01T00:01:00Z', { clients: 100 }, 'wifi'));
    expect(frames).toHaveLength(1);
    expect(writes).toHaveLength(0);
    runFrame();
    expect(writes).toEqual([[
      { source: 'links', id: 'link-1', state: { speed_kmh: 5, travel_time_s: null, flow_veh_h: null, occupancy_pct: null, ratio: 0.1, ts: T1, offline: false } },
      { source: 'hotspots', id: 'hotspot-aristotelous-square', state: { clients: 100, rx_kbps: null, tx_kbps: null, ratio: 0.25, ts: T1, offline: false } },
    ]]);
  });

  it('never goes back in time', () => {
    const { state, writes, runFrame } = setup();
    expect(state.ingest(reading('link-1', '2025-01-01T00:05:00Z', { speed_kmh: 30 }))).toBe(true);
    expect(state.ingest(reading('link-1', '2025-01-01T00:04:00Z', { speed_kmh: 80 }))).toBe(false);
    runFrame();
    expect(state.readingOf('link-1')?.values).toEqual({ speed_kmh: 30 });
    expect(writes.flat().map((w) => w.state.speed_kmh)).toEqual([30]);
  });

  it('ignores and counts readings for assets not in the catalogue', () => {
    const { state, frames } = setup();
    expect(state.ingest(reading('link-404', '2025-01-01T00:00:00Z', { speed_kmh: 1 }))).toBe(false);
    expect(state.unknown).toBe(1);
    expect(frames).toHaveLength(0);
  });

  it('keeps readings but leaves the map alone while paused, then repaints every asset', () => {
    const { state, writes, runFrame } = setup();
    state.paused = true;
    state.ingest(reading('link-1', '2025-01-01T00:00:00Z', { speed_kmh: 25 }));
    runFrame();
    expect(writes).toEqual([]);
    state.paused = false;
    state.repaintAll();
    expect(writes).toHaveLength(1);
    expect(writes[0]!.map((u) => [u.id, u.state.ratio])).toEqual([
      ['link-1', 0.5], ['hotspot-aristotelous-square', null], ['building-rotunda', null],
    ]);
  });

  it('flags an asset offline when its reading gets too old, and writes only what changed', () => {
    let now = T1;
    const { state, writes, runFrame } = setup((_id, ts) => now - ts > 60_000);
    state.ingest(reading('link-1', '2025-01-01T00:01:00Z', { speed_kmh: 25 }));
    state.ingest(reading('building-rotunda', '2025-01-01T00:01:00Z', { power_kw: 48 }, 'energy'));
    runFrame();
    now += 30_000;
    state.recheckOffline();
    runFrame();
    expect(writes).toHaveLength(1);
    state.ingest(reading('building-rotunda', '2025-01-01T00:01:30Z', { power_kw: 40 }, 'energy'));
    runFrame();
    now += 45_000;
    state.recheckOffline();
    runFrame();
    expect(writes[2]!.map((u) => [u.id, u.state.offline])).toEqual([['link-1', true]]);
    expect(state.shownOf('link-1')).toEqual({ values: { speed_kmh: 25 }, ts: T1, offline: true });
  });

  it('tells listeners which assets changed, and flushes on demand', () => {
    const { state, writes } = setup();
    const seen: string[][] = [];
    state.onFlush((ids) => seen.push([...ids]));
    state.ingest(reading('building-rotunda', '2025-01-01T00:00:00Z', { power_kw: 96 }, 'energy'));
    state.flush();
    state.flush();
    expect(seen).toEqual([['building-rotunda']]);
    expect(writes[0]?.[0]).toMatchObject({ source: 'buildings', state: { ratio: 1 } });
  });
});
