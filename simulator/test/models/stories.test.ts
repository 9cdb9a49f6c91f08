import { cityClock, type BuildingProperties } from '@cityhub/contracts';
import { assetsOfKind } from '@cityhub/contracts/catalogue';
import { describe, expect, it } from 'vitest';
import { createFleetModels, RETROFIT_DAYS_AGO, retrofitDaysAgoFor } from '../../src/fleet-models.js';
import { buildingParams, energyBetween, NIGHT_WASTER, RETROFIT_FACTOR, RETROFITTED, smoothPowerKw } from '../../src/models/energy.js';
import { athensInstant } from './athens.js';

const buildings = assetsOfKind('energy').map((f) => f.properties as BuildingProperties);
const DAY = 86_400_000;

describe('the simulated city\'s energy stories', () => {
  it('the night-waster has the highest night baseload per m², not the highest in kW', () => {
    // 03:00 on a Tuesday in February: every building at its night baseload.
    const night = athensInstant(2026, 2, 3, 3);
    const kw = buildings.map((b) => ({ id: b.id, kw: smoothPowerKw(b, night), wPerM2: (smoothPowerKw(b, night) * 1000) / b.floor_area_m2 }));
    const byArea = [...kw].sort((a, b) => b.wPerM2 - a.wPerM2);
    const byKw = [...kw].sort((a, b) => b.kw - a.kw);
    expect(byArea[0]!.id).toBe(NIGHT_WASTER);
    expect(byArea[0]!.wPerM2).toBeGreaterThan(1.5 * byArea[1]!.wPerM2);
    expect(byKw.findIndex((r) => r.id === NIGHT_WASTER)).toBeGreaterThan(byKw.length / 2);
  });

  it('the retrofitted building steps down from the retrofit on, by the documented factor', () => {
    const b = buildings.find((x) => x.id === RETROFITTED)!;
    const clock = cityClock('Europe/Athens');
    const at = athensInstant(2026, 11, 16, 0);
    const p = buildingParams(b, clock, at);
    // The same weekday a week apart, either side of the retrofit.
    const before = energyBetween(b, at - 7 * DAY, at - 6 * DAY, p);
    const after = energyBetween(b, at, at + DAY, p);
    expect(after / before).toBeGreaterThan(RETROFIT_FACTOR * 0.9);
    expect(after / before).toBeLessThan(RETROFIT_FACTOR * 1.1);
    // Other buildings are never retrofitted; by default the fleet's retrofit is a week before it starts.
    expect(buildingParams(buildings.find((x) => x.id !== RETROFITTED)!, clock, at).retrofitAt).toBeNull();
    const models = createFleetModels({ incidents: { ratePerDay: 0 } });
    expect(models.retrofitAt).toBe(clock.dayStart(clock.dayNumber(Date.now()) - RETROFIT_DAYS_AGO));
    // A backfill puts it half way through itself: the default 14 days, a week; 3 days, yesterday's midnight.
    expect(retrofitDaysAgoFor(14)).toBe(RETROFIT_DAYS_AGO);
    expect(retrofitDaysAgoFor(3)).toBe(1);
    expect(createFleetModels({ incidents: { ratePerDay: 0 }, retrofitDaysAgo: 1 }).retrofitAt).toBe(clock.dayStart(clock.dayNumber(Date.now()) - 1));
  });
});
