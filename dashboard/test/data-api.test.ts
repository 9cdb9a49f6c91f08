import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { check } from '@placemarkio/check-geojson';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTRIBUTION, cityClock } from '@cityhub/contracts';
import type { Point } from '@cityhub/store';
import { openHarness, type Harness } from '../../api/testing/harness.js';
import { LICENCE, rankingCsv } from '../src/data/csv.js';
import { API_LINKS, downloadsOf } from '../src/page/data-api.js';

const HOUR = 3_600_000;
/** The dashboard's moment: Friday 4 December 2026, 12:00 in Thessaloniki. */
const T = Date.parse('2026-12-04T10:00Z');
const athens = cityClock('Europe/Athens');

/** Hourly readings of every asset of every kind over the 9 days before T. */
function readings(h: Harness): Point[] {
  const values = { traffic: (i: number) => ({ speed_kmh: 30 + (i % 20) }), wifi: (i: number) => ({ clients: i % 40 }), energy: (i: number) => ({ power_kw: 20 + (i % 5), energy_kwh: 1000 + i * 22 }) };
  const out: Point[] = [];
  for (const f of h.deps.catalogue.features.slice(0, 400)) {
    const kind = f.properties.kind;
    for (let i = 0, t = T - 9 * 24 * HOUR; t < T; t += HOUR, i++) out.push({ kind, asset: f.id, device: `d-${f.id}`, ts: t, seq: i, values: values[kind](i) });
  }
  return out;
}

/** Strict RFC 4180: every record as long as the header, no stray quotes, no empty lines. */
const strictCsv = (text: string) => parse<Record<string, string>>(text, { columns: true, relax_column_count: false, relax_quotes: false, skip_empty_lines: false, record_delimiter: '\r\n' });

describe('the Data & API entry: licence, API links and downloads of the current view', () => {
  let h: Harness;
  let dir: string;
  beforeAll(async () => {
    h = await openHarness({ timeZone: 'Europe/Athens' }, { memoryStore: true });
    dir = await mkdtemp(join(tmpdir(), 'cityhub-data-api-'));
    await h.store.write(readings(h));
  });
  afterAll(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('links the API descriptions the hub serves', async () => {
    for (const l of API_LINKS) expect((await h.app.inject({ url: l.href })).statusCode, l.href).toBe(200);
  });

  it('downloads over the local days of the view\'s period: by hour for a day, by local day for a week', () => {
    const day = downloadsOf({ view: 'map', period: '24h', t: T }, athens);
    expect(day.map((d) => `${d.kind}.${d.format}`)).toEqual(['traffic', 'wifi', 'energy'].flatMap((k) => ['csv', 'geojson', 'parquet'].map((f) => `${k}.${f}`)));
    const q = new URL(day[0]!.href, 'http://hub').searchParams;
    expect(Object.fromEntries(q)).toMatchObject({ kind: 'traffic', from: '2026-12-03', to: '2026-12-05', step: '1h', tz: 'Europe/Athens', licence_columns: 'true' });
    const week = downloadsOf({ view: 'energy', period: '7d', t: T }, athens);
    expect(week).toHaveLength(3);
    expect(Object.fromEntries(new URL(week[1]!.href, 'http://hub').searchParams)).toMatchObject({ from: '2026-11-27', to: '2026-12-05', step: '1d', agg: 'delta', format: 'geojson' });
  });

  it('every download carries the licence and the attribution, and opens in a strict CSV parser and a GeoJSON validator', async () => {
    const all = [...downloadsOf({ view: 'map', period: '24h', t: T }, athens), ...downloadsOf({ view: 'energy', period: '7d', t: T }, athens)];
    for (const d of all) {
      const r = await h.app.inject({ url: d.href });
      expect(r.statusCode, `${d.href}: ${r.body.slice(0, 200)}`).toBe(200);
      expect(r.headers['x-time-zone']).toBe('Europe/Athens');
      if (d.format === 'csv') {
        const records = strictCsv(r.body);
        expect(records.length, d.href).toBeGreaterThan(0);
        for (const rec of records) expect(rec).toMatchObject({ licence: 'CC-BY-4.0', licence_url: LICENCE.url, attribution: ATTRIBUTION });
        if (d.kind === 'energy' && d.href.includes('step=1d')) {
          // Energy used per local day: 24 hourly increments of 22 kWh (a full day inside the readings).
          expect(records.find((rec) => rec.bucket_start === new Date(athens.fromLocal(2026, 12, 1)).toISOString())?.energy_kwh).toBe('528');
        }
      } else if (d.format === 'geojson') {
        const geo = check(r.body) as unknown as { licence: { name: string; url: string }; attribution: string; features: unknown[] };
        expect(geo.features.length).toBeGreaterThan(0);
        expect(geo.licence).toEqual({ name: 'CC-BY-4.0', url: LICENCE.url });
        expect(geo.attribution).toBe(ATTRIBUTION);
      } else {
        const file = join(dir, `${d.kind}.parquet`);
        await writeFile(file, r.rawPayload);
        const db = await DuckDBInstance.create(':memory:');
        const conn = await db.connect();
        const kv = Object.fromEntries((await conn.runAndReadAll(`SELECT decode(key), decode(value) FROM parquet_kv_metadata('${file}')`)).getRows().map((row) => [String(row[0]), String(row[1])]));
        const rows = Number((await conn.runAndReadAll(`SELECT count(*) FROM '${file}'`)).getRows()[0]![0]);
        conn.closeSync();
        db.closeSync();
        expect(rows).toBeGreaterThan(0);
        expect(kv).toMatchObject({ licence: 'CC-BY-4.0', licence_url: LICENCE.url, attribution: ATTRIBUTION, tz: 'Europe/Athens' });
      }
    }
  });

  it('the energy ranking CSV carries them too', () => {
    const row = { id: 'b-1', name: 'Say "hi", then', use: 'museum', floorAreaM2: 1200, kwh: 10, kwhPerM2: 0.01, baseloadKw: 1, baseloadWPerM2: 0.8, baseloadShare: 0.2, peakKw: 3, weekOnWeek: -0.1, vsPrevious: 0.05, vsYearAgo: null, yearAgo: 'none' as const, partial: false, source: 'counter' as const };
    const [rec] = strictCsv(rankingCsv([row], T - HOUR, T));
    expect(rec).toMatchObject({ building_id: 'b-1', name: 'Say "hi", then', baseload_w_per_m2: '0.8', licence: LICENCE.name, licence_url: LICENCE.url, attribution: ATTRIBUTION });
  });
});
