// The embedded store starts on the thread that acknowledges readings and moves to a thread of its own once the
// writer falls behind (CITYHUB_DUCKDB_OWN_THREAD=auto, the default), on the built hub, losing nothing.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { provisionTraffic, startHub, waitFor, type TestHub } from './harness.js';
import { Spool, encodeRecord } from '@cityhub/ingest';
import { checkStoredInDuckDb, type AckedReading } from './load.js';
import { freePort } from './mosquitto.js';

const DEVICES = 40;
/** Readings waiting in the spool when the hub starts: about 15 MB, over three of the writer's 4 MiB rounds. */
const RECORDS = 400;
const PER_RECORD = 500;

describe('the store with a backlog of several rounds, by default', () => {
  let dir: string | undefined;
  let hub: TestHub | undefined;
  afterAll(async () => {
    await hub?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('moves off the acknowledging thread once the writer falls behind, and stores every reading of the spool once', async () => {
    dir = await mkdtemp(join(tmpdir(), 'cityhub-store-thread-'));
    const { devices, assets } = await provisionTraffic(dir, DEVICES);
    // What a hub leaves in its spool when its store was out for a while: acknowledged readings, not yet stored.
    // They are three hours old, so each round also re-opens the rollup buckets it touches.
    const spool = await Spool.open(join(dir, 'spool'));
    const base = Date.now() - 3 * 3_600_000;
    const spooled: AckedReading[] = [];
    for (let r = 0; r < RECORDS; r++) {
      const d = devices[r % DEVICES]!;
      const points = Array.from({ length: PER_RECORD }, (_, k) => {
        const seq = Math.floor(r / DEVICES) * PER_RECORD + k;
        const reading = { device: d.id, asset: d.asset, ts: base + seq * 1_000, seq, value: ((seq * 7 + r) % 2_000) / 10 + 1 };
        spooled.push(reading);
        return { kind: 'traffic' as const, asset: d.asset, device: d.id, ts: reading.ts, seq, values: { speed_kmh: reading.value } };
      });
      await spool.append(encodeRecord({ points, dead: [] }));
    }
    expect(spool.backlogBytes()).toBeGreaterThan(3 * 4 * 1024 * 1024);
    await spool.close();

    hub = await startHub({ dataDir: dir, env: { CITYHUB_MQTT_PORT: String(await freePort()), CITYHUB_LOG_LEVEL: 'info' } });
    const metric = async (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await (await fetch(`${hub!.httpUrl}/metrics`)).text())?.[1]);
    await waitFor(async () => ((await metric('cityhub_store_own_thread')) === 1 ? true : undefined), 120_000, 'the store on its own thread');
    await waitFor(async () => (/the store moved to a thread of its own: readings came fast or the writer had fallen behind/.test(hub!.output()) ? true : undefined), 5_000, "the move in the log");
    await waitFor(async () => ((await metric('cityhub_writer_lag_seconds')) === 0 ? true : undefined), 120_000, 'the spool written');
    expect(await hub.stop({ keepData: true })).toBe(0);
    hub = undefined;

    const { stored, duplicates, missing } = await checkStoredInDuckDb(dir, assets, spooled);
    expect(missing).toEqual([]);
    expect(duplicates).toBe(0);
    expect(stored.size).toBe(RECORDS * PER_RECORD);
  }, 300_000);
});
