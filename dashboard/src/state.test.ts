import { describe, expect, it } from 'vitest';
import { COLLECTION } from '../test/fixtures/assets.js';
import { AssetIndex } from './assets.js';
import { featureStateFor, LiveState } from './state.js';
import type { AssetReading, StateUpdate } from './state.js';

const reading = (asset: string, ts: string, values: Record<string, number>, kind: AssetReading['kind'] = 'traffic'): AssetReading =>
  ({ asset, kind, device: 'dev-1', ts, values });

function setup() {
  const writes: StateUpdate[][] = [];
  const frames: (() => void)[] = [];
  const state = new LiveState(new AssetIndex([COLLECTION]), (u) => writes.push(u), (cb) => frames.push(cb));
  const runFrame = () => frames.splice(0).forEach((f) => f());
  return { state, writes, frames, runFrame };
}

describe('featureStateFor', () => {
  it('carries the values, the ratio and the time', () => {
    const link = COLLECTION.features[0]!;
    expect(featureStateFor(link.properties, reading('link-1', '2025-01-01T00:00:00Z', { speed_kmh: 25, flow_veh_h: 800 })))
      .toEqual({ speed_kmh: 25, flow_veh_h: 800, ratio: 0.5, ts: Date.UTC(2025, 0, 1) });
  });
});

describe('LiveState', () => {
  it('writes a burst of readings in one frame, newest per asset', () => {
    const { state, writes, frames, runFrame } = setup();
    state.ingest(reading('link-1', '2025-01-01T00:00:00Z', { speed_kmh: 40 }));
    state.ingest(reading('link-1', '2025-01-01T00:01:00Z', { speed_kmh: 5 }));
    state.ingest(reading('hotspot-aristotelous-square', '2025-01-01T00:01:00Z', { clients: 100 }, 'wifi'));
    expect(frames).toHaveLength(1);
    expect(writes).toHaveLength(0);
    runFrame();
    expect(writes).toHaveLength(1);
    expect(writes[0]).toEqual([
      { source: 'links', id: 'link-1', state: { speed_kmh: 5, ratio: 0.1, ts: Date.UTC(2025, 0, 1, 0, 1) } },
      { source: 'hotspots', id: 'hotspot-aristotelous-square', state: { clients: 100, ratio: 0.25, ts: Date.UTC(2025, 0, 1, 0, 1) } },
    ]);
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
