import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHarness, type Harness } from '../../testing/harness.js';
import { openSeeded, problem, problemSummary, type Seeded } from '../../testing/seed.js';

type Json = Record<string, unknown>;
const LINK = /^<http:\/\/localhost(:\d+)?\/ngsi-ld\/v1\/jsonldContexts\/cityhub\.jsonld>; rel="http:\/\/www\.w3\.org\/ns\/json-ld#context"; type="application\/ld\+json"$/;

describe('the NGSI-LD API answers as ETSI GS CIM 009 says', () => {
  let h: Harness;
  let seeded: Seeded;
  beforeAll(async () => ({ h, seeded } = await openSeeded()));
  afterAll(async () => h.close());
  const get = (url: string, accept?: string) => h.app.inject({ url: `/ngsi-ld/v1${url}`, headers: accept ? { accept } : {} });
  const ids = (r: { json<T>(): T }) => r.json<Json[]>().map((e) => e.id);

  it('serves an entity as JSON with the context in a Link header, or as JSON-LD with @context in the body', async () => {
    const id = 'urn:ngsi-ld:TrafficFlowObserved:thessaloniki:link-1';
    const json = await get(`/entities/${id}`);
    expect(json.statusCode).toBe(200);
    expect(json.headers['content-type']).toMatch(/^application\/json/);
    expect(json.headers.link).toMatch(LINK);
    const e = json.json<Record<string, { type: string; value?: unknown; object?: unknown; observedAt?: string; unitCode?: string }>>();
    expect(e).not.toHaveProperty('@context');
    const last = new Date(seeded.t0 + (seeded.count - 1) * seeded.step).toISOString();
    // Units converted to the model's: occupancy 41 % is 0.41, intensity the vehicles in the hour before observedAt.
    expect(e.occupancy).toEqual({ type: 'Property', value: 0.41, observedAt: last, unitCode: 'C62' });
    expect(e.averageVehicleSpeed).toMatchObject({ value: 31, unitCode: 'KMH' });
    expect(e.intensity).toMatchObject({ value: 710 });
    expect(e.refRoadSegment).toEqual({ type: 'Relationship', object: 'urn:ngsi-ld:RoadSegment:thessaloniki:link-1' });
    expect(e.location).toMatchObject({ type: 'GeoProperty', value: { type: 'LineString' } });
    const ld = await get(`/entities/${id}`, 'application/ld+json');
    expect(ld.headers['content-type']).toMatch(/^application\/ld\+json/);
    expect(ld.headers.link).toBeUndefined();
    expect(ld.json<Json>()['@context']).toMatch(/\/ngsi-ld\/v1\/jsonldContexts\/cityhub\.jsonld$/);
    const ac = (await get('/entities/urn:ngsi-ld:ACMeasurement:thessaloniki:' + seeded.assets.energy[0] + '?options=keyValues')).json<Json>();
    expect(ac).toMatchObject({ totalActivePower: 51_000, totalActiveEnergyImport: 1110, refDevice: [expect.stringMatching(/^urn:ngsi-ld:Device:/)] });
  });

  it('serves the contexts it names, so a client needs no other host for the Smart Data Models terms', async () => {
    const ctx = (await get('/jsonldContexts/cityhub.jsonld')).json<{ '@context': unknown[] }>()['@context'];
    for (const c of ctx.filter((x): x is string => typeof x === 'string' && x.startsWith('http://localhost'))) {
      const r = await h.app.inject({ url: new URL(c).pathname });
      expect(r.statusCode, c).toBe(200);
      expect(r.headers['content-type']).toMatch(/^application\/ld\+json/);
      expect(r.json<Json>()['@context']).toBeTypeOf('object');
    }
    expect(ctx).toHaveLength(5);
    expect((await get('/jsonldContexts/nope.jsonld')).statusCode).toBe(404);
  });

  it('pages with limit and offset and counts with NGSILD-Results-Count', async () => {
    const all = await get('/entities?type=RoadSegment&limit=1000&count=true');
    expect(all.headers['ngsild-results-count']).toBe('178');
    expect(all.json<Json[]>()).toHaveLength(178);
    const page = await get('/entities?type=RoadSegment&limit=10&offset=170&count=true');
    expect(page.headers['ngsild-results-count']).toBe('178');
    expect(ids(page)).toEqual(ids(all).slice(170, 180));
    expect(ids(await get('/entities?type=RoadSegment'))).toHaveLength(20);
    const none = await get('/entities?type=RoadSegment&limit=0&count=true');
    expect([none.statusCode, none.json(), none.headers['ngsild-results-count']]).toEqual([200, [], '178']);
    expect((await get('/entities?type=RoadSegment')).headers['ngsild-results-count']).toBeUndefined();
  });

  it('selects by type, id, idPattern, q and attrs', async () => {
    const [a, b] = seeded.assets.traffic;
    expect(ids(await get('/entities?type=TrafficFlowObserved'))).toHaveLength(3);
    expect(ids(await get('/entities?type=https://smartdatamodels.org/dataModel.Transportation/TrafficFlowObserved'))).toHaveLength(3);
    expect(ids(await get('/entities?type=Nothing'))).toEqual([]);
    expect(ids(await get(`/entities?id=urn:ngsi-ld:TrafficFlowObserved:thessaloniki:${a},urn:ngsi-ld:RoadSegment:thessaloniki:${b}`)).sort())
      .toEqual([`urn:ngsi-ld:RoadSegment:thessaloniki:${b}`, `urn:ngsi-ld:TrafficFlowObserved:thessaloniki:${a}`]);
    expect(ids(await get('/entities?type=RoadSegment&idPattern=:link-1[0-9]$&limit=100'))).toHaveLength(10);
    // Latest speeds are 31, 32, 33 (link order): q on the converted values.
    expect(ids(await get('/entities?type=TrafficFlowObserved&q=averageVehicleSpeed>31;occupancy<0.43'))).toEqual([`urn:ngsi-ld:TrafficFlowObserved:thessaloniki:${b}`]);
    expect(ids(await get('/entities?type=TrafficFlowObserved&q=averageVehicleSpeed==31|averageVehicleSpeed==33'))).toHaveLength(2);
    expect(ids(await get('/entities?type=TrafficFlowObserved&q=averageVehicleSpeed==31..32'))).toHaveLength(2);
    expect(ids(await get('/entities?type=WifiPointOfInterest&q=name~="Aristotelous"'))).toEqual(['urn:ngsi-ld:WifiPointOfInterest:thessaloniki:hotspot-aristotelous-square']);
    expect(ids(await get(`/entities?q=refRoadSegment=="urn:ngsi-ld:RoadSegment:thessaloniki:${a}"`))).toEqual([`urn:ngsi-ld:TrafficFlowObserved:thessaloniki:${a}`]);
    const projected = (await get('/entities?type=AccessPoint&attrs=clientsConnected&options=keyValues&limit=100')).json<Json[]>();
    expect(projected).toHaveLength(3);
    for (const e of projected) expect(Object.keys(e).sort()).toEqual(['clientsConnected', 'id', 'type']);
  });

  it('answers near and within geo-queries over the catalogue', async () => {
    const tower = [22.948426, 40.626457];
    const near = ids(await get(`/entities?type=ACMeasurement,WifiPointOfInterest&georel=near;maxDistance==1&geometry=Point&coordinates=${JSON.stringify(tower)}`));
    // The tower has a meter and a hotspot at the same coordinates.
    expect(near.sort()).toEqual(['urn:ngsi-ld:ACMeasurement:thessaloniki:building-white-tower', 'urn:ngsi-ld:WifiPointOfInterest:thessaloniki:hotspot-white-tower']);
    const ring = (lon: number, lat: number, d: number) => [[[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]];
    const within = ids(await get(`/entities?type=WifiPointOfInterest&georel=within&geometry=Polygon&coordinates=${JSON.stringify(ring(22.94094, 40.63238, 0.0005))}`));
    expect(within).toEqual(['urn:ngsi-ld:WifiPointOfInterest:thessaloniki:hotspot-aristotelous-square']);
    // A road link is near a point when any part of its line is: more links at 1 km than at 100 m, all of them far away.
    const roads = (m: string) => get(`/entities?type=RoadSegment&count=true&limit=0&georel=near;${m}&geometry=Point&coordinates=[22.9631,40.6145]`);
    const [n100, n1000, far] = await Promise.all([roads('maxDistance==100'), roads('maxDistance==1000'), roads('minDistance==1000')]);
    expect(Number(n100.headers['ngsild-results-count'])).toBeGreaterThan(0);
    expect(Number(n1000.headers['ngsild-results-count'])).toBeGreaterThan(Number(n100.headers['ngsild-results-count']));
    expect(Number(n1000.headers['ngsild-results-count']) + Number(far.headers['ngsild-results-count'])).toBeGreaterThanOrEqual(178);
  });

  it('lists the entity types, with their attributes on request', async () => {
    const list = (await get('/types')).json<{ type: string; typeList: string[] }>();
    expect(list.type).toBe('EntityTypeList');
    expect(list.typeList.sort()).toEqual(['ACMeasurement', 'AccessPoint', 'RoadSegment', 'TrafficFlowObserved', 'WifiPointOfInterest']);
    const details = (await get('/types?details=true')).json<Array<{ typeName: string; attributeNames: string[] }>>();
    expect(details.find((d) => d.typeName === 'TrafficFlowObserved')!.attributeNames).toContain('intensity');
  });

  it.each([
    ['/entities', 400, 'BadRequestData'],
    ['/entities?type=RoadSegment&limit=abc', 400, 'BadRequestData'],
    ['/entities?type=RoadSegment&limit=5000', 403, 'TooManyResults'],
    ['/entities?type=RoadSegment&limit=0', 400, 'BadRequestData'],
    ['/entities?type=RoadSegment&idPattern=(', 400, 'BadRequestData'],
    ['/entities?type=RoadSegment&q=length>', 400, 'BadRequestData'],
    ['/entities?type=RoadSegment&q=(length>1)', 422, 'OperationNotSupported'],
    ['/entities?type=RoadSegment&q=name=="unclosed', 400, 'BadRequestData'],
    ['/entities?type=RoadSegment&georel=near;maxDistance==10&geometry=Point', 400, 'BadRequestData'],
    ['/entities?type=RoadSegment&georel=near;maxDistance==10&geometry=Point&coordinates=[1', 400, 'BadRequestData'],
    ['/entities?type=RoadSegment&georel=within&geometry=Point&coordinates=[1,2]', 400, 'BadRequestData'],
    ['/entities?type=RoadSegment&georel=intersects&geometry=Point&coordinates=[1,2]', 422, 'OperationNotSupported'],
    ['/entities?type=RoadSegment&georel=sideways&geometry=Point&coordinates=[1,2]', 400, 'BadRequestData'],
    ['/entities?type=RoadSegment&options=fancy', 400, 'BadRequestData'],
    ['/entities?type=RoadSegment&unknown=1', 400, 'BadRequestData'],
    ['/entities?id=not a uri', 400, 'BadRequestData'],
    ['/entities/urn:ngsi-ld:RoadSegment:thessaloniki:link-999', 404, 'ResourceNotFound'],
    ['/entities/urn:ngsi-ld:TrafficFlowObserved:thessaloniki:link-100', 404, 'ResourceNotFound'],
    ['/entities/nonsense', 400, 'BadRequestData'],
    ['/subscriptions', 404, 'ResourceNotFound'],
  ])('GET %s is a %i %s problem', async (url, status, type) => expect(problemSummary(await get(url))).toEqual(problem(status, type)));

  it('answers writes and subscriptions, which it does not implement, with OperationNotSupported', async () => {
    for (const [method, url] of [['POST', '/entities'], ['POST', '/subscriptions'], ['POST', '/entityOperations/upsert'], ['PATCH', '/entities/urn:ngsi-ld:RoadSegment:thessaloniki:link-1/attrs']] as const) {
      const r = await h.app.inject({ method, url: `/ngsi-ld/v1${url}`, payload: {} });
      expect(problemSummary(r), `${method} ${url}`).toEqual(problem(422, 'OperationNotSupported'));
    }
  });

  it('refuses a media type it cannot serve with 406', async () => {
    const r = await get('/entities?type=RoadSegment', 'text/html');
    expect(r.statusCode).toBe(406);
    expect(r.json()).toMatchObject({ type: 'https://uri.etsi.org/ngsi-ld/errors/NotAcceptable' });
    expect((await get('/entities?type=RoadSegment', 'text/html, application/*;q=0.5')).statusCode).toBe(200);
  });

  it('is closed with the other public reads when the city turns public reading off', async () => {
    const closed = await openHarness({ publicRead: false }, { memoryStore: true });
    try {
      const anon = await closed.app.inject({ url: '/ngsi-ld/v1/types' });
      expect(anon.statusCode).toBe(401);
      expect(anon.json<{ status: number; detail: string }>()).toMatchObject({ status: 401 });
      expect(anon.json<{ detail: string }>().detail).toMatch(/token/);
      const ok = await closed.app.inject({ url: '/ngsi-ld/v1/types', headers: { authorization: `Bearer ${closed.operator}` } });
      expect(ok.statusCode).toBe(200);
    } finally {
      await closed.close();
    }
  });
});
