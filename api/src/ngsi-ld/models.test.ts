import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../../testing/harness.js';
import { openSeeded } from '../../testing/seed.js';
import { TYPE_NAMES } from './models.js';

const DIR = fileURLToPath(new URL('../../standards/smart-data-models/', import.meta.url));
const read = (f: string) => JSON.parse(readFileSync(DIR + f, 'utf8')) as Record<string, unknown>;

/**
 * The Smart Data Models schemas (JSON Schema 2020-12) with their `$ref`s to common-schema.json and
 * device-schema.json resolved to the local copies: no network.
 */
function validators() {
  const ajv = new Ajv2020.default({ strict: false, allErrors: true });
  addFormats.default(ajv);
  // ajv-formats has no idn-email (common-schema's `email`); a plain address check stands in for it.
  ajv.addFormat('idn-email', /^[^\s@]+@[^\s@]+$/u);
  ajv.addSchema(read('common-schema.json'), 'https://smart-data-models.github.io/data-models/common-schema.json');
  ajv.addSchema(read('device-schema.json'), 'https://smart-data-models.github.io/dataModel.Device/device-schema.json');
  return Object.fromEntries(TYPE_NAMES.map((t) => [t, ajv.compile(read(`${t}/schema.json`))]));
}

/** The models' normalized examples as key-values (a Property its value, a DateTime its text, a Relationship its object). */
function exampleKeyValues(type: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(read(`${type}/example-normalized.jsonld`))) {
    if (k === '@context') continue;
    if (typeof v !== 'object' || v === null) out[k] = v;
    else {
      const a = v as { type: string; value?: unknown; object?: unknown };
      const value = a.type === 'Relationship' ? a.object : a.value;
      out[k] = typeof value === 'object' && value !== null && '@value' in value ? (value)['@value'] : value;
    }
  }
  return out;
}

describe('NGSI-LD entities against the Smart Data Models schemas', () => {
  const validate = validators();
  const errorsOf = (type: string, e: unknown) => (validate[type]!(e) ? [] : validate[type]!.errors!.map((x) => `${x.instancePath} ${x.message}`));

  it('the validator accepts the models\' own TrafficFlowObserved and RoadSegment examples', () => {
    expect(errorsOf('TrafficFlowObserved', exampleKeyValues('TrafficFlowObserved'))).toEqual([]);
    expect(errorsOf('RoadSegment', exampleKeyValues('RoadSegment'))).toEqual([]);
  });

  it.each([
    ['AccessPoint', ['/owner must be array', '/address must be object']],
    ['WifiPointOfInterest', ['/address must be object']],
    ['ACMeasurement', ['/dateObserved must match format "date-time"']],
  ])('the validator refuses the models\' own %s example on the errors SOURCES.md lists', (type, expected) => {
    const errors = errorsOf(type, exampleKeyValues(type));
    for (const e of expected) expect(errors).toContain(e);
  });

  describe('every entity the API serves', () => {
    let h: Harness;
    beforeAll(async () => ({ h } = await openSeeded()));
    afterAll(async () => h.close());

    it.each(TYPE_NAMES)('%s validates, in key-values and normalized form', async (type) => {
      const r = await h.app.inject({ url: `/ngsi-ld/v1/entities?type=${type}&options=keyValues&limit=1000` });
      expect(r.statusCode).toBe(200);
      const entities = r.json<Array<Record<string, unknown>>>();
      expect(entities.length).toBeGreaterThan(0);
      for (const e of entities) expect(errorsOf(type, e), String(e.id)).toEqual([]);
      // The normalized form says the same: each attribute typed, measured ones with observedAt and unitCode.
      const n = (await h.app.inject({ url: `/ngsi-ld/v1/entities?type=${type}&limit=1000` })).json<Array<Record<string, { type: string }>>>();
      expect(n.map((e) => e.id)).toEqual(entities.map((e) => e.id));
      for (const e of n) {
        for (const [k, a] of Object.entries(e)) {
          if (k !== 'id' && k !== 'type') expect(['Property', 'GeoProperty', 'Relationship']).toContain(a.type);
        }
      }
    });
  });
});
