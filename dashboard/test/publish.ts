/**
 * Provisions devices in the hub's registry (in one write, as the simulator does: `cityhub devices add` is one
 * process per device) and publishes their readings over real MQTT, several devices at a time.
 */
import { openRegistry } from '@cityhub/devices';
import type { Kind, SeriesResponse } from '@cityhub/contracts';
import { waitFor } from '../../test/harness.js';
import type { Credentials, TestHub } from '../../test/harness.js';
import type { Payload } from './cases.js';

/** Readings to publish for one asset. */
export interface AssetReadings { asset: string; kind: Kind; readings: Payload[] }

/** The hub accepts at most this many readings in one message. */
const MAX_BATCH = 5000;
/**
 * A low scrypt cost for these throwaway devices, as load tests provision theirs: at the default cost, creating
 * and authenticating two hundred devices takes most of a minute of CPU. Each hash carries its own cost, so the
 * broker verifies them as it verifies any other.
 */
const TEST_HASH = { N: 1024, r: 8, p: 1 };

/** Creates one device per asset and publishes its readings, `concurrency` devices at a time. */
export async function provisionAndPublish(hub: TestHub, items: readonly AssetReadings[], concurrency = 6): Promise<Map<string, Credentials>> {
  const registry = await openRegistry(hub.dataDir, { hashParams: TEST_HASH });
  const created = await registry.addMany(items.map((i) => ({ kind: i.kind, asset: i.asset })));
  const devices = new Map(created.map((d): [string, Credentials] => [d.asset, d]));
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      const device = devices.get(item.asset)!;
      for (let i = 0; i < item.readings.length; i += MAX_BATCH) await hub.publish(device, item.readings.slice(i, i + MAX_BATCH));
    }
  }));
  return devices;
}

/** Waits until the store serves every published reading (the writer drains the spool in the background). */
export async function waitStored(hub: TestHub, items: readonly AssetReadings[], timeoutMs = 30_000): Promise<void> {
  const expected = new Map<Kind, number>();
  for (const i of items) expected.set(i.kind, (expected.get(i.kind) ?? 0) + i.readings.length);
  const to = new Date(Date.now() + 10 * 60_000).toISOString();
  const from = new Date(Date.now() - 30 * 86_400_000 + 3_600_000).toISOString();
  const metric = { traffic: 'speed_kmh', wifi: 'clients', energy: 'power_kw' } as const;
  for (const [kind, n] of expected) {
    await waitFor(async () => {
      const r = await hub.get<SeriesResponse>(`/api/v1/series?kind=${kind}&metric=${metric[kind]}&from=${from}&to=${to}&step=1d&agg=count`);
      const total = r.body.series.reduce((a, s) => a + s.points.reduce((b, [, c]) => b + c, 0), 0);
      return total >= n ? true : undefined;
    }, timeoutMs, `${n} ${kind} readings in the store`);
  }
}
