import { describe, expect, it } from 'vitest';
import { COLLECTION } from '../../test/fixtures/assets.js';
import { alertFeatures } from './alert-layer.js';
import type { AlertView } from '../model/alerts.js';
import { AssetIndex } from '../model/assets.js';

const base = { kind: 'energy', status: 'open', opened_at: '2026-11-20T08:00:00.000Z', acknowledged_at: null, acknowledged_by: null, cleared_at: null, message: '', value: null } as const;
const a = (id: string, asset: string, severity: AlertView['severity'], rule = 'r'): AlertView => ({ ...base, id, asset, severity, rule });

describe('alertFeatures', () => {
  const assets = new AssetIndex([COLLECTION]);
  it('draws one feature per asset in its worst severity, on its own geometry, most severe last', () => {
    const f = alertFeatures([
      a('1', 'building-rotunda', 'info', 'night-baseload'), a('2', 'building-rotunda', 'critical', 'building-power'),
      a('3', 'link-1', 'warning', 'congestion'), a('4', 'hotspot-aristotelous-square', 'warning'), a('5', 'link-999', 'critical'),
    ], assets);
    expect(f.map((x) => [x.id, x.properties.severity, x.geometry.type])).toEqual([
      ['link-1', 'warning', 'LineString'], ['hotspot-aristotelous-square', 'warning', 'Point'], ['building-rotunda', 'critical', 'Point'],
    ]);
    expect(f[2]?.properties).toMatchObject({ count: 2, rules: 'night-baseload,building-power', radius: 14 });
    // A hotspot's ring is drawn outside its largest circle.
    expect(f[1]?.properties.radius).toBe(24);
    expect(f[0]?.geometry.coordinates).toEqual([[22.94, 40.63], [22.95, 40.63], [22.95, 40.64]]);
  });
});
