import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import { startInfluxd, type Influxd } from './influxd.js';
import { startV2Front, type V2Front } from './v2-front.js';

/**
 * A private influxd and a `/api/v2/write` front over it for one test file: started before its tests,
 * stopped after them. Read the fields inside tests (they are set by `beforeAll`).
 */
export function useInfluxd(): { readonly influxd: Influxd; readonly front: V2Front } {
  const held: { influxd?: Influxd; front?: V2Front } = {};
  beforeAll(async () => {
    held.influxd = await startInfluxd();
    held.front = await startV2Front(held.influxd.url);
  });
  afterAll(async () => {
    await held.front?.close();
    await held.influxd?.stop();
  });
  return {
    get influxd() { return held.influxd!; },
    get front() { return held.front!; },
  };
}

/** A database name no other test uses. */
export const freshDb = (): string => `hub_${randomBytes(6).toString('hex')}`;

/** Drops a database straight on the server. */
export async function dropDb(url: string, db: string): Promise<void> {
  const res = await fetch(`${url}/query`, { method: 'POST', body: new URLSearchParams({ q: `DROP DATABASE "${db}"` }) });
  expect(res.status).toBe(200);
}
