import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../src/errors.js';
import { createInfluxStore } from '../src/influx/influx-store.js';
import { startInfluxd, type Influxd } from './influxd.js';

let influxd: Influxd;

beforeAll(async () => {
  influxd = await startInfluxd({ auth: true });
});
afterAll(async () => {
  await influxd?.stop();
});

/** Runs InfluxQL as the admin. */
async function asAdmin(q: string): Promise<void> {
  const { username, password } = influxd.admin!;
  const res = await fetch(`${influxd.url}/query?u=${username}&p=${password}`, { method: 'POST', body: new URLSearchParams({ q }) });
  const body = await res.text();
  expect(res.status, body).toBe(200);
  expect(body).not.toContain('"error"');
}

const codeOf = (p: Promise<unknown>) => p.then(() => 'no error', (e: unknown) => (e instanceof StoreError ? e.code : String(e)));

describe('InfluxDB 1.x with authentication on', () => {
  const T0 = Date.UTC(2024, 4, 1);
  const point = { kind: 'traffic' as const, asset: 'L1', device: 'd1', ts: T0, seq: 1, values: { speed_kmh: 42 } };

  it('works with the right user, creating the database as an admin', async () => {
    const store = createInfluxStore({ url: influxd.url, bucket: 'auth_admin', ...influxd.admin! });
    await store.write([point]);
    expect(await store.latest('traffic')).toEqual([{ kind: 'traffic', asset: 'L1', device: 'd1', ts: T0, values: { speed_kmh: 42 } }]);
    await store.close();
  });

  it('refuses wrong or missing credentials at init with STORE_FAILED and the server’s words', async () => {
    for (const creds of [{ username: 'admin', password: 'wrong' }, {}]) {
      const store = createInfluxStore({ url: influxd.url, bucket: 'auth_admin', ...creds });
      const err = await store.init().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).code).toBe('STORE_FAILED');
      expect((err as StoreError).message).toMatch(/HTTP 401|unable to parse authentication credentials|authorization failed/);
      await store.close();
    }
  });

  it('lets a user without admin rights use a database made for it, and refuses a read-only one', async () => {
    await asAdmin('CREATE DATABASE "auth_app"');
    await asAdmin(`CREATE USER "writer" WITH PASSWORD 'w-secret'`);
    await asAdmin('GRANT ALL ON "auth_app" TO "writer"');
    await asAdmin(`CREATE USER "reader" WITH PASSWORD 'r-secret'`);
    await asAdmin('GRANT READ ON "auth_app" TO "reader"');

    const writer = createInfluxStore({ url: influxd.url, bucket: 'auth_app', username: 'writer', password: 'w-secret' });
    await writer.init(); // CREATE DATABASE is refused (403, admin only), and that is fine here
    await writer.write([point]);
    expect((await writer.series({ assets: ['L1'], metric: 'speed_kmh', from: T0, to: T0 + 1 }))[0]?.points).toEqual([[T0, 42]]);
    await writer.close();

    const reader = createInfluxStore({ url: influxd.url, bucket: 'auth_app', username: 'reader', password: 'r-secret' });
    expect((await reader.latest('traffic')).map((p) => p.asset)).toEqual(['L1']);
    const err = await reader.write([point]).catch((e: unknown) => e);
    expect((err as StoreError).code).toBe('STORE_FAILED');
    expect((err as StoreError).message).toMatch(/HTTP 403/);
    expect(await codeOf(reader.deleteBefore(T0))).toBe('STORE_FAILED');
    await reader.close();
  });
});
