import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import jsonld from 'jsonld';
import { Parser, Store } from 'n3';
import SHACLValidator from 'rdf-validate-shacl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHarness, type Harness } from '../../testing/harness.js';

const DIR = fileURLToPath(new URL('../../standards/dcat-ap/', import.meta.url));
const load = (...files: string[]) => new Store(files.flatMap((f) => new Parser().parse(readFileSync(DIR + f, 'utf8'))));
/** The DCAT-AP 3.0.1 shapes (local copies, no network): mandatory properties and ranges; recommended properties (warnings). */
const shapes = load('dcat-ap-SHACL.ttl', 'ranges.ttl');
const recommended = load('shapes_recommended.ttl');

async function quadsOf(doc: object): Promise<Store> {
  const nquads = await jsonld.toRDF(doc, { format: 'application/n-quads' }) as unknown as string;
  return new Store(new Parser({ format: 'application/n-quads' }).parse(nquads));
}
async function violations(data: Store, against = shapes): Promise<string[]> {
  const report = await new SHACLValidator(against).validate(data);
  return report.results.map((r) => `${r.focusNode?.value} ${r.path?.value}: ${r.message.map((m) => m.value).join('; ')}`);
}

describe('the DCAT-AP catalogue', () => {
  let h: Harness;
  let doc: Record<string, unknown>;
  beforeAll(async () => {
    h = await openHarness({ catalog: { publisher: 'Municipality of Thessaloniki', contactName: 'Open data desk', contactEmail: 'opendata@example.org', publicUrl: 'https://hub.example.org' }, retentionDays: 30 });
    const r = await h.app.inject({ url: '/api/v1/catalog', headers: { accept: 'application/ld+json' } });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/ld\+json/);
    doc = r.json();
  });
  afterAll(async () => h.close());

  it('conforms to the DCAT-AP 3.0.1 SHACL shapes', async () => {
    const data = await quadsOf(doc);
    expect(data.size).toBeGreaterThan(100);
    expect(await violations(data)).toEqual([]);
    // Of the recommended properties, only two are missing: when the catalogue was first issued (the hub cannot
    // know), and a time range for the asset catalogue (it has none).
    expect((await violations(data, recommended)).map((v) => v.replace('https://hub.example.org/api/v1/catalog', ''))).toEqual([
      ' http://purl.org/dc/terms/issued: Less than 1 values', '#dataset-assets http://purl.org/dc/terms/temporal: Less than 1 values',
    ]);
  });

  it('has one dataset per kind and one for the asset catalogue, each distribution with its access URL, media type and licence', () => {
    const datasets = doc['dcat:dataset'] as Array<{ '@id': string; 'dcat:distribution': Array<Record<string, { '@id': string }>>; 'dcat:contactPoint': Record<string, unknown> }>;
    expect(datasets.map((d) => d['@id'].split('#')[1])).toEqual(['dataset-traffic', 'dataset-wifi', 'dataset-energy', 'dataset-assets']);
    const traffic = datasets[0]!['dcat:distribution'];
    expect(traffic.map((d) => d['dcat:mediaType']!['@id'].replace('https://www.iana.org/assignments/media-types/', '')))
      .toEqual(['text/csv', 'application/geo+json', 'application/vnd.apache.parquet', 'application/ld+json']);
    expect(traffic.map((d) => d['dcat:accessURL']!['@id'])).toEqual([
      'https://hub.example.org/api/v1/export?kind=traffic&format=csv', 'https://hub.example.org/api/v1/export?kind=traffic&format=geojson',
      'https://hub.example.org/api/v1/export?kind=traffic&format=parquet', 'https://hub.example.org/ngsi-ld/v1/entities?type=TrafficFlowObserved',
    ]);
    for (const d of traffic) expect(d['dct:license']!['@id']).toBe('http://creativecommons.org/licenses/by/4.0/');
    expect(datasets[0]!['dcat:contactPoint']).toMatchObject({ 'vcard:fn': 'Open data desk', 'vcard:hasEmail': { '@id': 'mailto:opendata@example.org' } });
  });

  it('gives the same graph as Turtle by content negotiation', async () => {
    const r = await h.app.inject({ url: '/api/v1/catalog', headers: { accept: 'text/turtle, application/ld+json;q=0.5' } });
    expect(r.headers['content-type']).toMatch(/^text\/turtle/);
    expect(r.body).toMatch(/@prefix dcat: <http:\/\/www\.w3\.org\/ns\/dcat#>/);
    const ttl = new Store(new Parser({ format: 'text/turtle' }).parse(r.body));
    const ld = await quadsOf(doc);
    expect(ttl.size).toBe(ld.size);
    expect(await violations(ttl)).toEqual([]);
    expect((await h.app.inject({ url: '/api/v1/catalog?format=ttl' })).headers['content-type']).toMatch(/^text\/turtle/);
  });

  it('a deliberately broken copy fails: a dataset without a title, a distribution without an access URL, a publisher without a name', async () => {
    const broken = structuredClone(doc) as { 'dcat:dataset': Array<Record<string, unknown> & { 'dcat:distribution': Array<Record<string, unknown>> }>; 'dct:publisher': Record<string, unknown> };
    delete broken['dcat:dataset'][1]!['dct:title'];
    delete broken['dcat:dataset'][2]!['dcat:distribution'][0]!['dcat:accessURL'];
    broken['dct:publisher'] = { '@id': 'https://hub.example.org/api/v1/catalog#nameless', '@type': 'foaf:Agent' };
    const found = await violations(await quadsOf(broken));
    expect(found).toEqual(expect.arrayContaining([
      expect.stringMatching(/#dataset-wifi http:\/\/purl\.org\/dc\/terms\/title/),
      expect.stringMatching(/#energy-csv http:\/\/www\.w3\.org\/ns\/dcat#accessURL/),
      expect.stringMatching(/#nameless http:\/\/xmlns\.com\/foaf\/0\.1\/name/),
    ]));
  });

  it('conforms with the defaults too: the request\'s address, a contact without e-mail', async () => {
    const plain = await openHarness({}, { memoryStore: true });
    try {
      const d = (await plain.app.inject({ url: '/api/v1/catalog' })).json<{ '@id': string; 'dcat:contactPoint': Record<string, unknown> }>();
      expect(d['@id']).toBe('http://localhost:80/api/v1/catalog');
      expect(d['dcat:contactPoint']).toMatchObject({ 'vcard:fn': 'City Hub open data', 'vcard:hasURL': { '@id': 'http://localhost:80' } });
      expect(await violations(await quadsOf(d))).toEqual([]);
    } finally {
      await plain.close();
    }
  });
});
