import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../../testing/harness.js';
import { openSeeded, problem, problemSummary, type Seeded } from '../../testing/seed.js';
import { parseDuration } from './temporal.js';

type Instances = Array<{ type: string; value: number; observedAt: string; unitCode: string }>;
const iso = (t: number) => new Date(t).toISOString();

describe('the NGSI-LD temporal API', () => {
  let h: Harness;
  let s: Seeded;
  beforeAll(async () => ({ h, seeded: s } = await openSeeded()));
  afterAll(async () => h.close());
  const get = (url: string) => h.app.inject({ url: `/ngsi-ld/v1${url}` });
  const tfo = (asset: string) => `urn:ngsi-ld:TrafficFlowObserved:thessaloniki:${asset}`;

  it('parses ISO 8601 durations of days, hours, minutes and seconds', () => {
    expect([parseDuration('PT15M'), parseDuration('PT1H'), parseDuration('P1D'), parseDuration('P1DT2H'), parseDuration('PT90S')]).toEqual([900, 3600, 86_400, 93_600, 90]);
    expect([parseDuration('P'), parseDuration('PT'), parseDuration('1H'), parseDuration('P1M')]).toEqual([null, null, null, null]);
  });

  it('serves the instances between two times, in the model units, with lastN', async () => {
    const link = s.assets.traffic[0]!;
    const r = await get(`/temporal/entities/${tfo(link)}?timerel=between&timeAt=${iso(s.t0 + s.step)}&endTimeAt=${iso(s.t0 + 4 * s.step)}&attrs=occupancy`);
    expect(r.statusCode).toBe(200);
    expect(r.headers.link).toMatch(/jsonldContexts\/cityhub\.jsonld/);
    const e = r.json<{ id: string; type: string; occupancy: Instances; averageVehicleSpeed?: unknown }>();
    expect(e).toMatchObject({ id: tfo(link), type: 'TrafficFlowObserved' });
    expect(e.averageVehicleSpeed).toBeUndefined();
    // [timeAt, endTimeAt): readings 1, 2 and 3; 31 % … 33 % as fractions.
    expect(e.occupancy).toEqual([1, 2, 3].map((i) => ({ type: 'Property', value: (30 + i) / 100, observedAt: iso(s.t0 + i * s.step), unitCode: 'C62' })));
    const last = (await get(`/temporal/entities/${tfo(link)}?timerel=after&timeAt=${iso(s.t0)}&lastN=2&attrs=averageVehicleSpeed`)).json<{ averageVehicleSpeed: Instances }>();
    expect(last.averageVehicleSpeed.map((i) => i.value)).toEqual([30, 31]);
    const before = (await get(`/temporal/entities/${tfo(link)}?timerel=before&timeAt=${iso(s.t0 + 2 * s.step)}&attrs=averageVehicleSpeed`)).json<{ averageVehicleSpeed: Instances }>();
    expect(before.averageVehicleSpeed.map((i) => i.value)).toEqual([20, 21]);
    const simplified = (await get(`/temporal/entities/${tfo(link)}?timerel=before&timeAt=${iso(s.t0 + 2 * s.step)}&attrs=averageVehicleSpeed&options=temporalValues`)).json<Record<string, unknown>>();
    expect(simplified).toMatchObject({ averageVehicleSpeed: { type: 'Property', values: [[20, iso(s.t0)], [21, iso(s.t0 + s.step)]] } });
  });

  it('aggregates per period exactly as /api/v1/series answers, from the same rollups', async () => {
    const from = iso(s.t0 + 5 * 60_000);
    const to = iso(s.t0 + s.count * s.step);
    const power = 'urn:ngsi-ld:ACMeasurement:thessaloniki:';
    const r = await get(`/temporal/entities?type=ACMeasurement&timerel=between&timeAt=${from}&endTimeAt=${to}&aggrMethods=avg,max,totalCount&aggrPeriodDuration=PT1H&attrs=totalActivePower`);
    expect(r.statusCode).toBe(200);
    const entities = r.json<Array<{ id: string; totalActivePower: Record<string, Array<[number, string, string]>> }>>();
    expect(entities.map((e) => e.id)).toEqual(s.assets.energy.map((a) => power + a));
    for (const [method, agg] of [['avg', 'mean'], ['max', 'max'], ['totalCount', 'count']] as const) {
      const series = (await h.app.inject({ url: `/api/v1/series?kind=energy&metric=power_kw&from=${from}&to=${to}&step=1h&agg=${agg}` }))
        .json<{ series: Array<{ asset: string; points: Array<[string, number]> }> }>().series;
      for (const e of entities) {
        const asset = e.id.slice(power.length);
        const expected = series.find((x) => x.asset === asset)!.points
          .map(([t, v]) => [method === 'totalCount' ? v : v * 1000, t, iso(Date.parse(t) + 3_600_000)]);
        expect(e.totalActivePower[method], `${method} ${asset}`).toEqual(expected);
        expect(expected.length).toBe(2);
      }
    }
  });

  it('pages temporal entities and counts them', async () => {
    const r = await get(`/temporal/entities?type=AccessPoint&limit=2&count=true&attrs=clientsConnected&timerel=after&timeAt=${iso(s.t0)}`);
    // attrs selects too: only the access points with readings have clientsConnected.
    expect(r.headers['ngsild-results-count']).toBe('3');
    const page = r.json<Array<{ id: string; clientsConnected?: Instances }>>();
    expect(page).toHaveLength(2);
    expect(page[0]!.clientsConnected).toHaveLength(s.count);
  });

  it.each([
    ['/temporal/entities?timerel=after&timeAt=2026-01-01T00:00:00Z', 400, 'BadRequestData'],
    ['/temporal/entities?type=AccessPoint&timerel=after', 400, 'BadRequestData'],
    ['/temporal/entities?type=AccessPoint&timerel=between&timeAt=2026-01-02T00:00:00Z', 400, 'BadRequestData'],
    ['/temporal/entities?type=AccessPoint&timerel=between&timeAt=2026-01-02T00:00:00Z&endTimeAt=2026-01-01T00:00:00Z', 400, 'BadRequestData'],
    ['/temporal/entities?type=AccessPoint&timerel=between&timeAt=2025-01-01T00:00:00Z&endTimeAt=2026-01-01T00:00:00Z', 400, 'BadRequestData'],
    ['/temporal/entities?type=AccessPoint&timerel=during&timeAt=2026-01-01T00:00:00Z', 400, 'BadRequestData'],
    ['/temporal/entities?type=AccessPoint&timerel=after&timeAt=yesterday', 400, 'BadRequestData'],
    ['/temporal/entities?type=AccessPoint&lastN=0', 400, 'BadRequestData'],
    ['/temporal/entities?type=AccessPoint&aggrMethods=avg', 422, 'OperationNotSupported'],
    ['/temporal/entities?type=AccessPoint&aggrMethods=stddev&aggrPeriodDuration=PT1H', 422, 'OperationNotSupported'],
    ['/temporal/entities?type=AccessPoint&aggrMethods=median&aggrPeriodDuration=PT1H', 400, 'BadRequestData'],
    ['/temporal/entities?type=AccessPoint&aggrMethods=avg&aggrPeriodDuration=1h', 400, 'BadRequestData'],
    ['/temporal/entities?type=AccessPoint&aggrMethods=avg&aggrPeriodDuration=PT1S&timerel=between&timeAt=2026-01-01T00:00:00Z&endTimeAt=2026-01-02T00:00:00Z', 403, 'TooManyResults'],
    ['/temporal/entities?type=AccessPoint&aggrPeriodDuration=PT1H', 400, 'BadRequestData'],
    ['/temporal/entities?type=AccessPoint&options=aggregatedValues', 400, 'BadRequestData'],
    ['/temporal/entities/urn:ngsi-ld:AccessPoint:thessaloniki:nowhere', 404, 'ResourceNotFound'],
  ])('GET %s is a %i %s problem', async (url, status, type) => expect(problemSummary(await get(url))).toEqual(problem(status, type)));
});
