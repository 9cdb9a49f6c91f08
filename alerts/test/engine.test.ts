import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FIXED_RULES, silentLogger as quiet, type AlertEvent, type SharedDocument } from '@cityhub/contracts';
import { findAsset } from '@cityhub/contracts/catalogue';
import { openSharedDocument, sharedDocPath } from '@cityhub/state';
import { createDuckDbStore, type Point, type Store } from '@cityhub/store';
import { useRedisBed } from '../../state/test/redis-bed.js';
import { AlertEngine } from '../src/engine.js';

const MIN = 60_000;

const pt = (asset: string, kind: Point['kind'], ts: number, values: Record<string, number>): Point => ({ kind, asset, device: `d-${asset}`, ts, seq: 0, values });

/**
 * A congestion condition 4 minutes in when the engine stops needs one more minute after `open` brings it
 * back from its saved state; the alert it opens stays open across the next restart, to be cleared later.
 */
async function carriesStateAcrossRestarts(open: () => Promise<AlertEngine>, t0: number): Promise<void> {
  let e = await open();
  e.onPoints([0, 2, 4].map((m) => pt('link-1', 'traffic', t0 + m * MIN, { speed_kmh: 10 })));
  await e.close();
  e = await open();
  const events: AlertEvent[] = [];
  e.on('event', (ev) => events.push(ev));
  e.onPoints([pt('link-1', 'traffic', t0 + 5 * MIN, { speed_kmh: 10 })]);
  expect(events.map((x) => x.state)).toEqual(['opened']);
  await e.close();
  e = await open();
  expect(e.openAlerts().map((a) => a.rule)).toEqual(['congestion']);
  const later: AlertEvent[] = [];
  e.on('event', (ev) => later.push(ev));
  e.onPoints([pt('link-1', 'traffic', t0 + 9 * MIN, { speed_kmh: 40 })]);
  expect(later.map((x) => [x.state, x.alert])).toEqual([['cleared', events[0]!.alert]]);
  await e.close();
}

describe('AlertEngine with the fixed rules, on the real DuckDB alert log', () => {
  let dir: string;
  let store: Store;
  let hubNow: number;
  const docs: SharedDocument[] = [];
  // The engine's state in the shared document `alerts`, as the hub keeps it: a file under the data directory.
  const open = async () => {
    const stateDoc = await openSharedDocument('alerts', { dataDir: dir });
    docs.push(stateDoc);
    return AlertEngine.open({ store, rules: () => FIXED_RULES, stateDoc, logger: quiet, asset: (id) => findAsset(id)?.properties, now: () => hubNow });
  };
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cityhub-alerts-'));
    store = createDuckDbStore({ path: ':memory:' });
    await store.init();
    hubNow = Date.UTC(2026, 10, 23, 9, 0);
  });
  afterEach(async () => {
    await Promise.all(docs.splice(0).map((d) => d.close()));
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('opens congestion after 5 minutes below 40 % of free flow, and clears above 50 % (hysteresis)', async () => {
    const e = await open();
    const events: AlertEvent[] = [];
    e.on('event', (ev) => events.push(ev));
    // link-1 is urban: free flow 50 km/h; 40 % is 20 km/h; it clears above 20 × 1.25 = 25 km/h.
    expect(findAsset('link-1')?.properties).toMatchObject({ free_flow_kmh: 50 });
    const t0 = hubNow - 20 * MIN;
    e.onPoints([0, 1, 2, 3, 4].map((m) => pt('link-1', 'traffic', t0 + m * MIN, { speed_kmh: 15 })));
    expect(events).toEqual([]);
    e.onPoints([pt('link-1', 'traffic', t0 + 5 * MIN, { speed_kmh: 14 })]);
    expect(events.map((x) => [x.rule, x.state, x.value])).toEqual([['congestion', 'opened', 14]]);
    e.onPoints([pt('link-1', 'traffic', t0 + 6 * MIN, { speed_kmh: 24 })]); // between 20 and 25: stays open
    e.onPoints([pt('link-1', 'traffic', t0 + 4 * MIN, { speed_kmh: 49 })]); // late, older reading: ignored
    expect(events).toHaveLength(1);
    e.onPoints([pt('link-1', 'traffic', t0 + 7 * MIN, { speed_kmh: 26 })]);
    expect(events.map((x) => x.state)).toEqual(['opened', 'cleared']);
    expect(events[1]!.alert).toBe(events[0]!.alert);
    await e.close();
    const log = await store.listAlertEvents({});
    expect(log.map((x) => x.state)).toEqual(['cleared', 'opened']);
  });

  it('does not open when the condition breaks before its duration', async () => {
    const e = await open();
    const events: AlertEvent[] = [];
    e.on('event', (ev) => events.push(ev));
    const t0 = hubNow - 20 * MIN;
    e.onPoints([0, 2, 4].map((m) => pt('link-1', 'traffic', t0 + m * MIN, { speed_kmh: 10 })));
    e.onPoints([pt('link-1', 'traffic', t0 + 4.5 * MIN, { speed_kmh: 45 })]);
    e.onPoints([5, 7, 9].map((m) => pt('link-1', 'traffic', t0 + m * MIN, { speed_kmh: 10 })));
    expect(events).toEqual([]);
    e.onPoints([pt('link-1', 'traffic', t0 + 10 * MIN, { speed_kmh: 10 })]);
    expect(events).toHaveLength(1);
    await e.close();
  });

  it('follows a new rule list at the next reading: a rule enabled later opens, one disabled later stays quiet', async () => {
    // The engine filters the enabled rules once per rule list (the same list object until the rules change).
    let rules = FIXED_RULES.map((r) => (r.id === 'congestion' ? { ...r, enabled: false } : r));
    const stateDoc = await openSharedDocument('alerts', { dataDir: dir });
    docs.push(stateDoc);
    const e = await AlertEngine.open({ store, rules: () => rules, stateDoc, logger: quiet, asset: (id) => findAsset(id)?.properties, now: () => hubNow });
    const events: AlertEvent[] = [];
    e.on('event', (ev) => events.push(ev));
    const t0 = hubNow - 30 * MIN;
    e.onPoints([0, 2, 4, 6].map((m) => pt('link-1', 'traffic', t0 + m * MIN, { speed_kmh: 10 })));
    expect(events).toEqual([]);
    rules = FIXED_RULES;
    e.onPoints([8, 10, 12, 13].map((m) => pt('link-1', 'traffic', t0 + m * MIN, { speed_kmh: 10 })));
    expect(events.map((x) => [x.rule, x.state])).toEqual([['congestion', 'opened']]);
    rules = FIXED_RULES.map((r) => (r.id === 'building-power' ? { ...r, enabled: false } : r));
    const limit = (findAsset('building-rotunda')!.properties as { power_limit_kw: number }).power_limit_kw;
    const t1 = hubNow - 10 * MIN;
    e.onPoints([0, 2, 4, 6].map((m) => pt('building-rotunda', 'energy', t1 + m * MIN, { power_kw: limit * 1.5 })));
    expect(events.filter((x) => x.rule === 'building-power')).toEqual([]);
    await e.close();
  });

  it('keeps a condition that was 4 minutes in across a restart: one more minute opens it', async () => {
    await carriesStateAcrossRestarts(open, hubNow - 20 * MIN);
  });

  it('opens hotspot-offline on a last will and on 15 minutes of silence, and clears on the next reading', async () => {
    const e = await open();
    const events: AlertEvent[] = [];
    e.on('event', (ev) => events.push(ev));
    e.onPoints([pt('hotspot-rotunda', 'wifi', hubNow, { clients: 4 }), pt('hotspot-white-tower', 'wifi', hubNow, { clients: 9 })]);
    e.onStatus('hotspot-rotunda', 'wifi', 'offline');
    expect(events.map((x) => [x.asset, x.state])).toEqual([['hotspot-rotunda', 'opened']]);
    hubNow += 16 * MIN;
    e.onPoints([pt('hotspot-rotunda', 'wifi', hubNow, { clients: 3 })]);
    e.checkSilence();
    expect(events.map((x) => [x.asset, x.state])).toEqual([['hotspot-rotunda', 'opened'], ['hotspot-rotunda', 'cleared'], ['hotspot-white-tower', 'opened']]);
    expect(events[2]!.message).toMatch(/no reading for 960 s/);
    await e.close();
  });

  it('opens building-power above the power limit for 5 minutes', async () => {
    const e = await open();
    const events: AlertEvent[] = [];
    e.on('event', (ev) => events.push(ev));
    const limit = (findAsset('building-rotunda')!.properties as { power_limit_kw: number }).power_limit_kw;
    const t0 = hubNow - 30 * MIN;
    e.onPoints([0, 3, 5].map((m) => pt('building-rotunda', 'energy', t0 + m * MIN, { power_kw: limit * 1.2 })));
    e.onPoints([pt('building-rotunda', 'energy', t0 + 6 * MIN, { power_kw: limit * 0.95 })]); // above 90 %: still open
    e.onPoints([pt('building-rotunda', 'energy', t0 + 7 * MIN, { power_kw: limit * 0.8 })]);
    expect(events.map((x) => x.state)).toEqual(['opened', 'cleared']);
    expect(events[0]!.severity).toBe('critical');
    await e.close();
  });

  it('opens night-baseload when night power stays above half of the previous day\'s peak, and clears at daybreak', async () => {
    const e = await open();
    const events: AlertEvent[] = [];
    e.on('event', (ev) => events.push(ev));
    // 22 Nov 2026, 12:00 Athens (10:00 UTC): a 100 kW peak. 23 Nov 01:00–01:40 Athens: 60 kW, above 50 kW.
    e.onPoints([pt('building-rotunda', 'energy', Date.UTC(2026, 10, 22, 10), { power_kw: 100 })]);
    const night = Date.UTC(2026, 10, 22, 23);
    e.onPoints([0, 10, 20, 29].map((m) => pt('building-rotunda', 'energy', night + m * MIN, { power_kw: 60 })));
    expect(events).toEqual([]);
    e.onPoints([pt('building-rotunda', 'energy', night + 30 * MIN, { power_kw: 60 })]);
    expect(events.map((x) => [x.rule, x.state])).toEqual([['night-baseload', 'opened']]);
    // 06:00 Athens: the night is over.
    e.onPoints([pt('building-rotunda', 'energy', Date.UTC(2026, 10, 23, 4), { power_kw: 60 })]);
    expect(events.map((x) => x.state)).toEqual(['opened', 'cleared']);
    await e.close();
  });

  it('acknowledges an open alert and logs who did', async () => {
    const e = await open();
    e.onStatus('hotspot-rotunda', 'wifi', 'offline');
    const [a] = e.openAlerts();
    hubNow += 1_000;
    const ev = await e.acknowledge(a!.alert, 'tok-1');
    expect(ev).toMatchObject({ state: 'acknowledged', by: 'tok-1', alert: a!.alert });
    expect(await e.acknowledge('nope', 'tok-1')).toBeNull();
    await e.close();
    expect((await store.listAlertEvents({ alert: a!.alert })).map((x) => x.state)).toEqual(['acknowledged', 'opened']);
  });
});

describe('AlertEngine saving', () => {
  it('still saves its state after a flush that had nothing to do', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cityhub-alerts-save-'));
    const store = createDuckDbStore({ path: ':memory:' });
    await store.init();
    const stateDoc = await openSharedDocument('alerts', { dataDir: dir });
    const e = await AlertEngine.open({ store, rules: () => FIXED_RULES, stateDoc, logger: quiet, asset: (id) => findAsset(id)?.properties });
    await e.flush(); // nothing to do
    e.onPoints([{ kind: 'traffic', asset: 'link-1', device: 'd', ts: Date.now() - 60_000, seq: 0, values: { speed_kmh: 10 } }]);
    await e.close();
    await stateDoc.close();
    const { readFile } = await import('node:fs/promises');
    const saved = JSON.parse(await readFile(sharedDocPath('alerts', dir), 'utf8')) as { keys: Record<string, { since?: number }> };
    expect(typeof saved.keys['congestion|link-1']?.since).toBe('number');
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
});

describe('AlertEngine state on Redis, as broker nodes hand the engine over', () => {
  const bed = useRedisBed();
  let store: Store;
  beforeEach(async () => {
    store = createDuckDbStore({ path: ':memory:' });
    await store.init();
  });
  afterEach(() => store.close());

  it('continues where the last engine stopped: each engine on its own connection, as the next leader would be', async () => {
    const open = async () => AlertEngine.open({
      store, rules: () => FIXED_RULES, stateDoc: await bed.open('alerts'), logger: quiet, asset: (id) => findAsset(id)?.properties,
    });
    await carriesStateAcrossRestarts(open, Date.now() - 20 * MIN);
    expect(await bed.admin.hget('cityhub:doc:alerts', 'text')).toContain('congestion|link-1');
  });
});
