import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../src/errors.js';
import { createInfluxStore } from '../src/influx/influx-store.js';
import type { Point } from '../src/types.js';
import { startInfluxd, type Influxd } from './influxd.js';
import { startV2Front } from './v2-front.js';

let influxd: Influxd;

beforeAll(async () => {
  influxd = await startInfluxd();
});
afterAll(async () => {
  await influxd?.stop();
});
// Each test may leave influxd down; the next starts from a running one.
afterEach(async () => {
  const up = await fetch(`${influxd.url}/ping`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.status === 204, () => false);
  if (!up) await influxd.restart();
});

/** The error a promise rejects with, as a StoreError. */
async function failure(p: Promise<unknown>, what?: string): Promise<StoreError> {
  const e = await p.then((value: unknown) => ({ resolved: value }), (err: unknown) => err);
  expect(e, `${what ?? 'the call'} should have failed`).toBeInstanceOf(StoreError);
  return e as StoreError;
}

describe('InfluxDB store through an outage', () => {
  const T0 = Date.UTC(2024, 4, 1);
  const point = (ts: number, speed: number): Point => ({ kind: 'traffic', asset: 'L1', device: 'd1', ts, seq: 1, values: { speed_kmh: speed } });
  const raw = { assets: ['L1'], metric: 'speed_kmh', from: T0, to: T0 + 3_600_000 };

  it('says STORE_UNAVAILABLE while influxd is down (killed), and works again after a restart with what it had confirmed', async () => {
    const store = createInfluxStore({ url: influxd.url, bucket: 'outage_v1' });
    const fresh = createInfluxStore({ url: influxd.url, bucket: 'outage_v1' });
    await store.write([point(T0, 50)]);
    influxd.kill('SIGKILL');
    const errors = await Promise.all([store.write([point(T0 + 1_000, 51)]), store.series(raw), store.latest('traffic'), fresh.init()].map((p) => failure(p)));
    for (const e of errors) {
      expect(e.code).toBe('STORE_UNAVAILABLE');
      expect(e.retryable).toBe(true);
      expect(e.message).toMatch(/unreachable/);
    }
    await influxd.restart();
    // The point confirmed before the kill survived it (InfluxDB's WAL), and writing goes on.
    await store.write([point(T0 + 2_000, 52)]);
    await fresh.init();
    expect((await fresh.series(raw))[0]?.points).toEqual([[T0, 50], [T0 + 2_000, 52]]);
    await store.close();
    await fresh.close();
  });

  it('says STORE_UNAVAILABLE through the client library too: a 502 from a front, a refused connection', async () => {
    const front = await startV2Front(influxd.url);
    const store = createInfluxStore({ url: front.url, bucket: 'outage_v2' });
    await store.write([point(T0, 50)]);
    expect(store.serverInfo()?.writeApi).toBe('/api/v2/write');
    influxd.kill('SIGKILL');
    const e502 = await failure(store.write([point(T0 + 1_000, 51)]));
    expect(e502.code).toBe('STORE_UNAVAILABLE');
    expect(e502.message).toMatch(/HTTP 502/);
    await front.close();
    // The first write may find its kept-alive socket reset; the next finds nothing listening.
    const reset = await failure(store.write([point(T0 + 1_000, 51)]));
    expect(reset.code).toBe('STORE_UNAVAILABLE');
    expect(reset.message).toMatch(/ECONNRESET|ECONNREFUSED/);
    const refused = await failure(store.write([point(T0 + 1_000, 51)]));
    expect(refused.code).toBe('STORE_UNAVAILABLE');
    expect(refused.message).toMatch(/ECONNREFUSED/);
    await store.close();
  });

  it('says STORE_UNAVAILABLE when influxd hangs (stopped) past the timeout, on both write paths', async () => {
    const front = await startV2Front(influxd.url);
    const v1 = createInfluxStore({ url: influxd.url, bucket: 'outage_hang', timeoutMs: 400 });
    const v2 = createInfluxStore({ url: front.url, bucket: 'outage_hang', timeoutMs: 400 });
    await v1.init();
    await v2.init();
    // Sent, and seen by the kernel: every call below reaches a server that no longer answers.
    await influxd.stopped();
    try {
      const started = Date.now();
      const [a, b, c] = await Promise.all([
        failure(v1.write([point(T0, 1)]), 'write (v1)'), failure(v2.write([point(T0, 1)]), 'write (v2 front)'), failure(v1.latest('traffic'), 'latest (v1)'),
      ]);
      expect(Date.now() - started).toBeLessThan(5_000);
      for (const e of [a, b, c]) {
        expect(e.code).toBe('STORE_UNAVAILABLE');
        expect(e.message).toMatch(/timed out/);
      }
    } finally {
      influxd.kill('SIGCONT');
    }
    await v1.write([point(T0 + 5_000, 2)]);
    expect((await v2.series(raw))[0]?.points.at(-1)).toEqual([T0 + 5_000, 2]);
    await v1.close();
    await v2.close();
    await front.close();
  });
});
