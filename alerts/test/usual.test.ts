import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cityClock, FIXED_RULES, silentLogger as quiet, type AlertEvent, type Logger, type Rule, type SharedDocument } from '@cityhub/contracts';
import { findAsset } from '@cityhub/contracts/catalogue';
import { openSharedDocument } from '@cityhub/state';
import { createDuckDbStore, type Point, type Store } from '@cityhub/store';
import { Baselines, usualTable } from '../src/baselines.js';
import { AlertEngine } from '../src/engine.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const athens = cityClock('Europe/Athens');

const pt = (asset: string, ts: number, speed: number): Point => ({ kind: 'traffic', asset, device: `d-${asset}`, ts, seq: 0, values: { speed_kmh: speed } });
const SLOW: Rule = { id: 'slow', name: 'Slow', severity: 'warning', enabled: true, type: 'usual', kind: 'traffic', metric: 'speed_kmh', op: 'below', share: 0.6, for_s: 600, weeks: 4, clear_hysteresis: 0.25 };
const CONGESTION = FIXED_RULES.find((r) => r.id === 'congestion')!;

/** A link whose usual speed is 18 km/h in the 07:00–10:00 rush (every day) and 50 km/h at any other hour. */
const usualSpeed = (ts: number): number => (athens.hour(ts) >= 7 && athens.hour(ts) < 10 ? 18 : 50);

describe('usual rules on the real DuckDB store\'s hourly rollups', () => {
  let dir: string;
  let store: Store;
  const docs: SharedDocument[] = [];
  // Monday 23 November 2026, 00:00 in Thessaloniki.
  const now = athens.fromLocal(2026, 11, 23);
  const logged: string[] = [];
  const logger: Logger = { ...quiet, info: (o, msg) => logged.push(`${msg} ${JSON.stringify(o)}`) };
  const open = async (rules: Rule[]) => {
    const baselines = new Baselines({ store, rules: () => rules, clock: athens, logger, assets: () => ['link-1'] });
    await baselines.refresh(now);
    const stateDoc = await openSharedDocument('alerts', { dataDir: dir });
    docs.push(stateDoc);
    const e = await AlertEngine.open({ store, rules: () => rules, stateDoc, logger: quiet, asset: (id) => findAsset(id)?.properties, now: () => now, baselines });
    const events: AlertEvent[] = [];
    e.on('event', (ev) => events.push(ev));
    return { e, events };
  };
  const history = async (days: number) => {
    const points: Point[] = [];
    for (let t = now - days * DAY; t < now; t += 15 * MIN) points.push(pt('link-1', t, usualSpeed(t)));
    await store.write(points);
  };
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cityhub-usual-'));
    store = createDuckDbStore({ path: ':memory:' });
    await store.init();
    logged.length = 0;
  });
  afterEach(async () => {
    await Promise.all(docs.splice(0).map((d) => d.close()));
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('opens after 10 minutes 40 % slower than usual, says so in words, and clears with hysteresis', async () => {
    await history(21);
    const { e, events } = await open([SLOW]);
    const noon = athens.fromLocal(2026, 11, 23, 12);
    e.onPoints([0, 5, 9].map((m) => pt('link-1', noon + m * MIN, 21)));
    expect(events).toEqual([]);
    e.onPoints([pt('link-1', noon + 10 * MIN, 21)]);
    expect(events.map((x) => [x.rule, x.state, x.value])).toEqual([['slow', 'opened', 21]]);
    expect(events[0]!.message).toBe(`${findAsset('link-1')!.properties.name} 40 % slower than usual for 10 min: 21 km/h, usually 50 km/h now`);
    // It clears above 30 × 1.25 = 37.5 km/h.
    e.onPoints([pt('link-1', noon + 11 * MIN, 36)]);
    e.onPoints([pt('link-1', noon + 12 * MIN, 38)]);
    expect(events.map((x) => x.state)).toEqual(['opened', 'cleared']);
    expect(events[1]!.message).toMatch(/speed 38 km\/h, usually 50 km\/h now$/);
    await e.close();
  });

  it('stays quiet in the usual rush hour, where the fixed congestion rule fires', async () => {
    await history(21);
    const { e, events } = await open([SLOW, CONGESTION]);
    const rush = athens.fromLocal(2026, 11, 23, 8);
    e.onPoints([0, 5, 10, 15, 20].map((m) => pt('link-1', rush + m * MIN, 17)));
    expect(events.map((x) => [x.rule, x.state])).toEqual([['congestion', 'opened']]);
    await e.close();
  });

  it('runs the usual value on the line between the middles of two hours, as a rush builds up', async () => {
    await history(21);
    const baselines = new Baselines({ store, rules: () => [SLOW], clock: athens, logger, assets: () => ['link-1'] });
    await baselines.refresh(now);
    const at = (h: number, m: number) => baselines.usual(SLOW, 'link-1', athens.fromLocal(2026, 11, 23, h, m));
    expect([at(6, 30), at(6, 45), at(7, 0), at(7, 30), at(8, 0), at(12, 0)]).toEqual([50, 42, 34, 18, 18, 50]);
    expect(baselines.usual(SLOW, 'link-2', now)).toBeUndefined();
  });

  it('stays quiet without history, and says so', async () => {
    const { e, events } = await open([SLOW]);
    const noon = athens.fromLocal(2026, 11, 23, 12);
    e.onPoints([0, 5, 10, 15].map((m) => pt('link-1', noon + m * MIN, 5)));
    expect(events).toEqual([]);
    expect(logged.join('\n')).toMatch(/too little history yet, and their usual rules stay quiet .*"withUsual":0/);
    await e.close();
  });

  it('uses the same hour of the last days while fewer than two weeks have it', async () => {
    await history(4);
    const { e, events } = await open([SLOW]);
    const noon = athens.fromLocal(2026, 11, 23, 12);
    e.onPoints([0, 10].map((m) => pt('link-1', noon + m * MIN, 21)));
    expect(events.map((x) => x.state)).toEqual(['opened']);
    await e.close();
  });
});

describe('usualTable', () => {
  it('takes the median of the same hour of the week, so one bad week does not move it', () => {
    const to = athens.fromLocal(2026, 11, 23);
    const monNine = (w: number) => athens.fromLocal(2026, 11, 23 - 7 * w, 9);
    const t = usualTable([[monNine(3), 40], [monNine(2), 10], [monNine(1), 42]], athens, to)!;
    expect(t[9]).toBe(40);
    expect(Number.isNaN(t[10]!)).toBe(true);
    expect(usualTable([], athens, to)).toBeNull();
  });
});
