import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger, type DeviceRecord } from '@cityhub/contracts';
import { createDuckDbStore, StoreError, type Point, type Store } from '@cityhub/store';
import { Ingest } from './ingest.js';

const quiet = silentLogger;
const device: DeviceRecord = { id: 'tr-0001', kind: 'traffic', asset: 'link-7', secret_hash: 'x', enabled: true, created_at: '' };
const registry = { get: (id: string) => (id === device.id ? device : undefined) };
const topic = 'city/traffic/tr-0001/telemetry';

/**
 * The real DuckDB store, with writes that fail while `down` is set: the store being unreachable, as the
 * writer sees it (StoreError STORE_UNAVAILABLE), without touching how DuckDB itself works.
 */
function outage(store: Store): Store & { down: boolean; failures: number } {
  const s = Object.assign(Object.create(store) as Store, { down: false, failures: 0 });
  s.write = async (points: readonly Point[]) => {
    if (s.down) {
      s.failures++;
      throw new StoreError('STORE_UNAVAILABLE', 'store unreachable (outage under test)');
    }
    return store.write(points);
  };
  return s;
}

describe('Ingest with the real DuckDB store', () => {
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cityhub-ingest-'));
    store = createDuckDbStore({ path: join(dir, 'db.duckdb') });
    await store.init();
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps acknowledging through a store outage, and writes everything once the store is back', async () => {
    const flaky = outage(store);
    const ingest = await Ingest.open({ store: flaky, registry, dataDir: dir, logger: quiet, writer: { intervalMs: 5, minBackoffMs: 20, maxBackoffMs: 100 } });
    ingest.start();
    const t0 = Date.now() - 600_000;
    let seq = 0;
    // Fifty devices' worth of readings in flight at once, as the broker hands them over.
    const publish = async (n: number) => {
      for (let done = 0; done < n; done += 50) {
        await Promise.all(Array.from({ length: 50 }, () => {
          const s = seq++;
          return ingest.accept(device.id, topic, Buffer.from(JSON.stringify({ ts: t0 + s * 100, seq: s, speed_kmh: s % 90 })));
        }));
      }
    };
    await publish(500);
    flaky.down = true;
    await publish(2_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(flaky.failures).toBeGreaterThan(1);
    expect(ingest.writer.stats.lastError).toMatch(/outage/);
    expect(ingest.spool.backlogBytes()).toBeGreaterThan(0);
    flaky.down = false;
    await publish(500);
    expect(await ingest.writer.drained(10_000)).toBe(true);
    expect(ingest.writer.stats.lastError).toBeNull();
    const [r] = await store.series({ assets: ['link-7'], metric: 'speed_kmh', from: t0, to: Date.now() });
    expect(r!.points).toHaveLength(3_000);
    expect(r!.points.reduce((s, p) => s + p[1], 0)).toBe(Array.from({ length: 3_000 }, (_, i) => i % 90).reduce((a, b) => a + b, 0));
    await ingest.close();
  });

  it('holds acknowledgements at the spool cap while the store is down, and says so', async () => {
    const flaky = outage(store);
    flaky.down = true;
    const events: string[] = [];
    const logger = { ...quiet, warn: (_o: object, msg?: string) => { if (msg) events.push(msg); } };
    const ingest = await Ingest.open({ store: flaky, registry, dataDir: dir, logger, spoolCapBytes: 8_192, writer: { intervalMs: 5, minBackoffMs: 20, maxBackoffMs: 50 } });
    ingest.start();
    const t0 = Date.now() - 600_000;
    const acks: number[] = [];
    const pending = Array.from({ length: 200 }, (_, i) =>
      ingest.accept(device.id, topic, Buffer.from(JSON.stringify({ ts: t0 + i * 100, seq: i, speed_kmh: 10 }))).then(() => acks.push(i)));
    await new Promise((r) => setTimeout(r, 300));
    expect(ingest.spool.isFull()).toBe(true);
    expect(acks.length).toBeGreaterThan(10);
    expect(acks.length).toBeLessThan(200);
    expect(events.some((m) => /stops acknowledging/.test(m))).toBe(true);
    flaky.down = false;
    await Promise.all(pending);
    expect(acks).toHaveLength(200);
    expect(await ingest.writer.drained()).toBe(true);
    const [r] = await store.series({ assets: ['link-7'], metric: 'speed_kmh', from: t0, to: Date.now() });
    expect(r!.points).toHaveLength(200);
    await ingest.close();
  });

  it('drains the spool into the store when it closes', async () => {
    const ingest = await Ingest.open({ store, registry, dataDir: dir, logger: quiet, writer: { intervalMs: 200 } });
    ingest.start();
    const t0 = Date.now() - 60_000;
    await Promise.all(Array.from({ length: 100 }, (_, i) => ingest.accept(device.id, topic, Buffer.from(JSON.stringify({ ts: t0 + i, seq: i, speed_kmh: 1 })))));
    await ingest.close();
    const [r] = await store.series({ assets: ['link-7'], metric: 'speed_kmh', from: t0, to: Date.now() });
    expect(r!.points).toHaveLength(100);
  });

  it('refuses a meter counter that goes backwards, and keeps the rest of the array', async () => {
    const meter: DeviceRecord = { ...device, id: 'en-0001', kind: 'energy', asset: 'building-rotunda' };
    const ingest = await Ingest.open({ store, registry: { get: (id) => (id === meter.id ? meter : undefined) }, dataDir: dir, logger: quiet });
    const t0 = Date.now() - 60_000;
    const r = await ingest.accept(meter.id, 'city/energy/en-0001/telemetry', Buffer.from(JSON.stringify([
      { ts: t0, seq: 1, power_kw: 5, energy_kwh: 100 }, { ts: t0 + 1_000, seq: 2, power_kw: 5, energy_kwh: 99 }, { ts: t0 + 2_000, seq: 3, power_kw: 5, energy_kwh: 101 },
    ])));
    expect(r.accepted).toBe(2);
    expect(r.rejected).toEqual([expect.objectContaining({ reason: 'counter_decrease' })]);
    await ingest.close();
  });

  it('lets a device\'s lone message wait for others before the spool write, and never one sent back to back', async () => {
    const other: DeviceRecord = { ...device, id: 'tr-0002', asset: 'link-8' };
    const two = { get: (id: string) => [device, other].find((d) => d.id === id) };
    const ingest = await Ingest.open({ store, registry: two, dataDir: dir, logger: quiet, spoolCommitDelayMs: 60_000 });
    const now = Date.now();
    const msg = (id: string, seq: number) => ingest.accept(id, `city/traffic/${id}/telemetry`, Buffer.from(JSON.stringify({ ts: now - 1_000, seq, speed_kmh: 40 })));
    // tr-0002 has not been heard from: its message waits (here up to a minute) for company.
    let lone = false;
    const waiting = msg(other.id, 1).then(() => { lone = true; });
    await new Promise((r) => setTimeout(r, 100));
    expect(lone).toBe(false);
    // tr-0001 sends two messages back to back: the second is written at once, and takes the waiting ones along.
    const first = msg(device.id, 2);
    expect((await msg(device.id, 3)).accepted).toBe(1);
    await first;
    await waiting;
    expect(ingest.spool.counters.fsyncs).toBe(1);
    // An array of buffered readings does not wait, even from a device not heard from for a while.
    const third: DeviceRecord = { ...device, id: 'tr-0003', asset: 'link-9' };
    const three = await Ingest.open({ store, registry: { get: (id: string) => (id === third.id ? third : undefined) }, dataDir: `${dir}-3`, logger: quiet, spoolCommitDelayMs: 60_000 });
    const array = Array.from({ length: 100 }, (_, i) => ({ ts: now - 100_000 + i * 1_000, seq: i, speed_kmh: 40 }));
    const written = three.accept(third.id, `city/traffic/${third.id}/telemetry`, Buffer.from(JSON.stringify(array)));
    expect(await Promise.race([written.then((r) => r.accepted), new Promise((r) => setTimeout(() => r('still waiting'), 2_000))])).toBe(100);
    await ingest.close();
    await three.close();
  });
});
