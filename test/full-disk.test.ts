import { mkdir, mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fillDisk, mountTmpfs, unmount } from './disk.js';
import { provisionTraffic, startHub, waitFor, type TestHub } from './harness.js';
import { freePort } from './mosquitto.js';
import { checkStoredInDuckDb, startLoad, type Load } from './load.js';

const DEVICES = 10;
const TOTAL = 4_000;
interface Ready { status: string; checks: Record<string, { ok: boolean; detail?: string }> }

/** Waits for `/readyz` to answer `status`, and returns its checks. */
async function readiness(hub: TestHub, status: 200 | 503, timeoutMs: number): Promise<Ready> {
  return waitFor(async () => {
    const r = await hub.get<Ready>('/readyz');
    return r.status === status ? r.body : undefined;
  }, timeoutMs, `/readyz ${status}`);
}

/** The store on the main thread (the default), and on a thread of its own (CITYHUB_DUCKDB_OWN_THREAD). */
const VARIANTS: Array<{ name: string; env: Record<string, string> }> = [
  { name: '', env: {} },
  { name: ', the store on its own thread', env: { CITYHUB_DUCKDB_OWN_THREAD: 'true' } },
];

for (const { name, env: variantEnv } of VARIANTS) describe(`a full disk under QoS 1 load (${TOTAL} readings, ${DEVICES} devices${name})`, () => {
  let mnt = '';
  let mounted = false;
  let hub: TestHub | undefined;
  let load: Load | undefined;
  afterAll(async () => {
    await load?.stop(1_000).catch(() => undefined);
    hub?.proc.kill('SIGKILL');
    await hub?.stop({ keepData: true });
    if (mounted) unmount(mnt);
    if (mnt) await rm(mnt, { recursive: true, force: true });
  });

  it('stores every acknowledged reading exactly once, with and without a restart, and recovers by itself', async (ctx) => {
    mnt = await mkdtemp(join(tmpdir(), 'cityhub-full-'));
    const why = mountTmpfs(mnt, '48m');
    if (why) return ctx.skip(`a tmpfs cannot be mounted here (${why}): run as root on Linux`);
    mounted = true;
    const dir = join(mnt, 'data');
    await mkdir(dir);
    const { devices, assets } = await provisionTraffic(dir, DEVICES);
    const env = { ...variantEnv, CITYHUB_MQTT_PORT: String(await freePort()), CITYHUB_WRITER_STALL_S: '2' };
    const filler = join(mnt, 'filler');
    hub = await startHub({ dataDir: dir, env });
    load = startLoad(hub.mqttUrl, devices, { total: TOTAL, baseTs: Date.now() - 3_600_000, window: 4 });
    await load.until(800, 60_000);

    // Full, then freed, without a restart: not ready meanwhile, ready again by itself.
    fillDisk(filler);
    const full = await readiness(hub, 503, 30_000);
    expect(JSON.stringify(full.checks)).toMatch(/no space left on device/i);
    await unlink(filler);
    await readiness(hub, 200, 30_000);
    const before = load.acked.size;
    await load.until(before + 500, 60_000);

    // Full, killed, freed, restarted.
    fillDisk(filler);
    await readiness(hub, 503, 30_000);
    hub.proc.kill('SIGKILL');
    await hub.stop({ keepData: true });
    await unlink(filler);
    hub = await startHub({ dataDir: dir, env });
    await load.until(TOTAL, 90_000);
    await load.stop();
    const ready = await readiness(hub, 200, 30_000);
    expect(ready.status).toBe('ready');
    expect(await hub.stop({ keepData: true })).toBe(0);
    hub = undefined;

    const acked = [...load.acked.values()];
    const { stored, duplicates, missing } = await checkStoredInDuckDb(dir, assets, acked);
    console.log(`full disk: ${acked.length} acknowledged of ${load.sent()} sent; stored ${stored.size}; missing ${missing.length}; duplicates ${duplicates}`);
    expect(missing).toEqual([]);
    expect(duplicates).toBe(0);
    expect(acked.length).toBe(TOTAL);
    expect(stored.size).toBe(acked.length);
  }, 240_000);
});
