import { describe, expect, it } from 'vitest';
import { runStoreSuite } from '../testing/conformance.js';
import { StoreError } from '../src/errors.js';
import { createInfluxStore, type InfluxStoreOptions } from '../src/influx/influx-store.js';
import { dropDb as dropDbAt, freshDb, useInfluxd } from './influx-fixture.js';
import { startV2Front } from './v2-front.js';

const servers = useInfluxd();
const dropDb = (db: string) => dropDbAt(servers.influxd.url, db);

/** Runs InfluxQL straight on the server (not through the store) and returns the first statement's series. */
async function influxql(db: string, q: string): Promise<Array<{ columns: string[]; values: unknown[][] }>> {
  const res = await fetch(`${servers.influxd.url}/query?db=${db}&epoch=ms`, { method: 'POST', body: new URLSearchParams({ q }) });
  const body = (await res.json()) as { results: Array<{ series?: Array<{ columns: string[]; values: unknown[][] }> }> };
  return body.results[0]?.series ?? [];
}

const suiteStore = (via: () => string) => async () => {
  const db = freshDb();
  return { store: createInfluxStore({ url: via(), bucket: db }), cleanup: () => dropDb(db) };
};

// The same suite through the client library's /api/v2/write runs in influx-v2.test.ts, beside this file.
runStoreSuite('influxdb 1.6 /write', suiteStore(() => servers.influxd.url));

describe('InfluxDB store', () => {
  const T0 = Date.UTC(2024, 4, 1);
  const point = (ts: number, speed: number) => ({ kind: 'traffic' as const, asset: 'L1', device: 'd1', ts, seq: 1, values: { speed_kmh: speed } });

  async function withStore<T>(opts: Partial<InfluxStoreOptions> & { url: string }, task: (s: ReturnType<typeof createInfluxStore>, db: string) => Promise<T>): Promise<T> {
    const db = freshDb();
    const store = createInfluxStore({ bucket: db, ...opts });
    try {
      return await task(store, db);
    } finally {
      await store.close();
      await dropDb(db);
    }
  }

  it('finds that 1.6 has only /write, and writes there', async () => {
    const recorder = await startV2Front(servers.influxd.url, { v2: false });
    try {
      await withStore({ url: recorder.url }, async (store) => {
        await store.init();
        expect(store.serverInfo()).toMatchObject({ writeApi: '/write', version: '1.6.7~rc0', major: 1 });
        await store.write([point(T0, 50)]);
        const paths = recorder.seen.map((r) => `${r.method} ${r.path}`);
        expect(paths).toContain('GET /health');
        expect(paths).toContain('POST /write');
        expect(paths).not.toContain('POST /api/v2/write');
        expect(recorder.seen.find((r) => r.path === '/write')?.query.get('precision')).toBe('ms');
      });
    } finally {
      await recorder.close();
    }
  });

  it('finds /api/v2/write where /health answers, and writes through the client library there', async () => {
    const seenBefore = servers.front.seen.length;
    await withStore({ url: servers.front.url, org: 'thessaloniki' }, async (store, db) => {
      await store.init();
      expect(store.serverInfo()?.writeApi).toBe('/api/v2/write');
      await store.write([point(T0, 50), point(T0 + 1_000, 52)]);
      const writes = servers.front.seen.slice(seenBefore).filter((r) => r.path.includes('write'));
      expect(writes.map((r) => r.path)).toEqual(['/api/v2/write', '/api/v2/write']); // raw points, then rollups
      expect(writes[0]?.query.get('bucket')).toBe(db);
      expect(writes[0]?.query.get('org')).toBe('thessaloniki');
      expect(writes[0]?.query.get('precision')).toBe('ms');
      expect((await store.series({ assets: ['L1'], metric: 'speed_kmh', from: T0, to: T0 + 60_000 }))[0]?.points).toEqual([[T0, 50], [T0 + 1_000, 52]]);
    });
  });

  it('sends the token, or the 1.x user as basic auth, with every request', async () => {
    const seenBefore = servers.front.seen.length;
    await withStore({ url: servers.front.url, token: 'tkn-123' }, async (store) => {
      await store.write([point(T0, 50)]);
      await store.latest('traffic');
    });
    const mine = servers.front.seen.slice(seenBefore).filter((r) => r.query.get('q') === null || !r.query.get('q')?.startsWith('DROP'));
    expect(mine.length).toBeGreaterThanOrEqual(5); // ping, health, create, write ×2, query…
    for (const r of mine) expect(r.authorization, `${r.method} ${r.path}`).toBe('Token tkn-123');

    const recorder = await startV2Front(servers.influxd.url, { v2: false });
    try {
      await withStore({ url: recorder.url, username: 'ops', password: 'pa:ss' }, async (store) => {
        await store.write([point(T0, 50)]);
      });
      expect(recorder.seen.length).toBeGreaterThan(0);
      for (const r of recorder.seen) expect(r.authorization).toBe(`Basic ${Buffer.from('ops:pa:ss').toString('base64')}`);
    } finally {
      await recorder.close();
    }
  });

  it('writes every number as a float, and rollups as the fields influx/schema.ts names', async () => {
    await withStore({ url: servers.influxd.url }, async (store, db) => {
      await store.write([point(T0, 50), point(T0 + 10_000, 70)]);
      const keys = await influxql(db, 'SHOW FIELD KEYS');
      const types = new Set(keys.flatMap((s) => s.values.map((v) => v[1])));
      expect([...types]).toEqual(['float']);
      const [rollup] = await influxql(db, 'SELECT * FROM traffic_1m');
      expect(rollup?.columns).toEqual(['time', 'device', 'link', 'speed_kmh_count', 'speed_kmh_last', 'speed_kmh_last_ts', 'speed_kmh_max', 'speed_kmh_min', 'speed_kmh_sum']);
      expect(rollup?.values).toEqual([[T0, 'd1', 'L1', 2, 70, T0 + 10_000, 70, 50, 120]]);
      const measurements = (await influxql(db, 'SHOW MEASUREMENTS'))[0]?.values.flat();
      expect(measurements).toEqual(['traffic', 'traffic_15m', 'traffic_1h', 'traffic_1m']);
    });
  });

  it('maps a 4xx from the server to STORE_BAD_INPUT with its message (a field type conflict)', async () => {
    await withStore({ url: servers.influxd.url }, async (store, db) => {
      await store.init();
      // Another writer made speed_kmh an integer field in this shard.
      const res = await fetch(`${servers.influxd.url}/write?db=${db}&precision=ms`, { method: 'POST', body: `traffic,device=x,link=L9 speed_kmh=1i ${T0}` });
      expect(res.status).toBe(204);
      const err = await store.write([point(T0, 50.5)]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).code).toBe('STORE_BAD_INPUT');
      expect((err as StoreError).message).toMatch(/field type conflict/);
    });
  });

  it('refuses what line protocol cannot carry before sending anything', async () => {
    await withStore({ url: servers.influxd.url }, async (store) => {
      for (const p of [{ ...point(T0, 1), asset: 'L\n1' }, { ...point(T0, 1), device: 'd\\1' }, { ...point(T0, 1), values: { time: 1 } }, { ...point(T0, 1), ts: 9e15 }]) {
        const err = await store.write([point(T0, 1), p]).catch((e: unknown) => e);
        expect((err as StoreError).code).toBe('STORE_BAD_INPUT');
      }
      expect(await store.latest('traffic')).toEqual([]);
    });
  });

  it('finds assets by exact id, whatever characters the id has', async () => {
    const ids = ['L.1', 'Lx1', 'a|b', 'a', '(x)', 'c/d', 'e,f g=h', 'dé 🚦', "it's", 'q"r', '[z]+*?^$'];
    await withStore({ url: servers.influxd.url }, async (store) => {
      await store.write(ids.map((asset, i) => ({ ...point(T0 + i, i), asset, device: `dev ${asset}` })));
      const q = { metric: 'speed_kmh', from: T0, to: T0 + 60_000 };
      const raw = await store.series({ ...q, assets: ids });
      expect(raw.map((s) => s.points)).toEqual(ids.map((_, i) => [[T0 + i, i]]));
      // A regex metacharacter in one id must not match another id ('L.1' is not 'Lx1', 'a|b' is not 'a').
      expect(await store.series({ ...q, assets: ['L.1', 'a|b'], stepS: 60, agg: 'count' })).toEqual([
        { asset: 'L.1', points: [[T0, 1]] }, { asset: 'a|b', points: [[T0, 1]] },
      ]);
      expect((await store.latest('traffic')).map((p) => [p.asset, p.device])).toEqual([...ids].sort().map((a) => [a, `dev ${a}`]));
    });
  });

  it('pages the alert log by (at, id) even within one millisecond, where InfluxDB orders by slot', async () => {
    await withStore({ url: servers.influxd.url }, async (store) => {
      const ev = (id: string, at: number) => ({ id, alert: 'a', rule: 'congestion', kind: 'traffic' as const, asset: 'L1', severity: 'warning' as const,
        state: 'opened' as const, at, value: 1.5, message: 'm', by: null });
      const ids = Array.from({ length: 30 }, (_, i) => `e${String(i).padStart(2, '0')}`);
      await store.writeAlertEvents([...ids.map((id) => ev(id, T0)), ev('z-later', T0 + 1)]);
      const page = await store.listAlertEvents({ limit: 10 });
      expect(page.map((e) => e.id)).toEqual(['z-later', ...[...ids].reverse().slice(0, 9)]);
      expect((await store.listAlertEvents({ limit: 40 })).map((e) => e.id)).toEqual(['z-later', ...[...ids].reverse()]);
    });
  });

  it('keeps dead letters whose device cannot be a tag, and finds them by it', async () => {
    await withStore({ url: servers.influxd.url }, async (store, db) => {
      const odd = 'dev\\ice\nname';
      await store.writeDeadLetters([
        { id: 'x1', received: T0, device: odd, topic: 't', reason: 'schema', message: 'm', payload: 'p' },
        { id: 'x2', received: T0, device: '', topic: 't', reason: 'schema', message: 'm', payload: 'p' },
        { id: 'x3', received: T0, device: null, topic: 't', reason: 'schema', message: 'm', payload: 'p' },
        { id: 'x4', received: T0 - 1, device: `o'brien "x"`, topic: 't', reason: 'schema', message: 'm', payload: 'p' },
      ]);
      expect((await store.listDeadLetters({ device: `o'brien "x"` })).map((r) => r.id)).toEqual(['x4']);
      // An unknown device's id is whatever a publisher chose: kept and found, but never a tag (a series).
      await store.writeDeadLetters([{ id: 'x5', received: T0 - 2, device: 'ghost-1', topic: 't', reason: 'unknown_device', message: 'm', payload: 'p' }]);
      expect((await store.listDeadLetters({ device: 'ghost-1' })).map((r) => [r.id, r.device])).toEqual([['x5', 'ghost-1']]);
      const devices = (await influxql(db, 'SHOW TAG VALUES FROM "dead_letters" WITH KEY = "device"'))[0]?.values.map((v) => v[1]);
      expect(devices).toEqual([`o'brien "x"`]);
      expect(await store.deleteDeadLetters(['x4', 'x5'])).toBe(2);
      expect((await store.listDeadLetters({ device: odd })).map((r) => [r.id, r.device])).toEqual([['x1', odd]]);
      expect((await store.listDeadLetters({ device: '' })).map((r) => [r.id, r.device])).toEqual([['x2', '']]);
      expect((await store.listDeadLetters({})).map((r) => r.id).sort()).toEqual(['x1', 'x2', 'x3']);
      // The same letter again (say, a retried batch) overwrites itself; a changed reason moves it.
      await store.writeDeadLetters([{ id: 'x3', received: T0, device: null, topic: 't', reason: 'out_of_range', message: 'm2', payload: 'p' }]);
      const all = await store.listDeadLetters({});
      expect(all).toHaveLength(3);
      expect(all.find((r) => r.id === 'x3')).toMatchObject({ reason: 'out_of_range', message: 'm2' });
      expect(await store.listDeadLetters({ reason: 'schema' })).toHaveLength(2);
    });
  });

  it('rebuilds touched rollups once more after settleMs, mending one another writer got wrong', async () => {
    const db = freshDb();
    const store = createInfluxStore({ url: servers.influxd.url, bucket: db, settleMs: 300 });
    try {
      const t0 = Date.UTC(2026, 10, 1, 8, 0, 0);
      await store.write([0, 10_000, 20_000].map((dt, i) => ({ kind: 'traffic' as const, asset: 'link-1', device: 'd1', ts: t0 + dt, seq: i, values: { speed_kmh: 40 + i } })));
      // Another writer's rebuild that read before these points landed, written after ours.
      const res = await fetch(`${servers.influxd.url}/write?db=${db}&precision=ms`, { method: 'POST', body: `traffic_1m,link=link-1,device=d1 speed_kmh_count=1,speed_kmh_sum=99,speed_kmh_min=99,speed_kmh_max=99,speed_kmh_last=99,speed_kmh_last_ts=${t0} ${t0}` });
      expect(res.status).toBe(204);
      const sum = async () => (await influxql(db, 'SELECT speed_kmh_sum, speed_kmh_count FROM traffic_1m'))[0]?.values[0];
      expect(await sum()).toEqual([t0, 99, 1]);
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline && (await sum())?.[1] === 99) await new Promise((r) => setTimeout(r, 100));
      expect(await sum()).toEqual([t0, 123, 3]);
    } finally {
      await store.close();
      await dropDb(db);
    }
  });
});
