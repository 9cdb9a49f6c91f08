import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, truncate, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fillDisk, flipBit, mountTmpfs, readSpool, segPath, unmount, type SpoolFrame } from './disk.js';
import { provisionTraffic, startHub, waitFor, type TestHub } from './harness.js';
import { freePort } from './mosquitto.js';
import { checkStoredInDuckDb, startLoad } from './load.js';

const DEVICES = 5;
const TOTAL = 3_000;
interface Ready { status: string; checks: Record<string, { ok: boolean; detail?: string }> }

/**
 * The hub's DuckDB lives on a small tmpfs that the test fills, its spool (a symlink) on an ordinary disk:
 * the store refuses every write while the spool keeps acknowledging, so that acknowledged readings wait
 * in many spool segments after the writer's cursor when the hub is killed.
 */
describe(`corrupt and torn spool records of a stopped hub (${TOTAL} readings)`, () => {
  let mnt = '';
  let spoolDir = '';
  let mounted = false;
  let hub: TestHub | undefined;
  afterAll(async () => {
    hub?.proc.kill('SIGKILL');
    await hub?.stop({ keepData: true });
    if (mounted) unmount(mnt);
    for (const d of [mnt, spoolDir]) if (d) await rm(d, { recursive: true, force: true });
  });

  it('stores every acknowledged reading but those of the damaged records, and says what happened', async (ctx) => {
    mnt = await mkdtemp(join(tmpdir(), 'cityhub-corrupt-'));
    const why = mountTmpfs(mnt, '48m');
    if (why) return ctx.skip(`a tmpfs cannot be mounted here (${why}): run as root on Linux`);
    mounted = true;
    spoolDir = await mkdtemp(join(tmpdir(), 'cityhub-corrupt-spool-'));
    const dir = join(mnt, 'data');
    await mkdir(dir);
    await symlink(spoolDir, join(dir, 'spool'));
    const { devices, assets } = await provisionTraffic(dir, DEVICES);
    const env = { CITYHUB_MQTT_PORT: String(await freePort()), CITYHUB_WRITER_STALL_S: '2', CITYHUB_SPOOL_SEGMENT_MB: '0.02' };
    hub = await startHub({ dataDir: dir, env });
    const load = startLoad(hub.mqttUrl, devices, { total: TOTAL, baseTs: Date.now() - 3_600_000, window: 8 });
    await load.until(300, 60_000);
    // The writer stores in rounds (CITYHUB_WRITE_INTERVAL_MS): let it commit one, so that records lie before its cursor.
    await waitFor(async () => (existsSync(join(spoolDir, 'cursor.json')) ? true : undefined), 10_000, 'a first writer round');
    fillDisk(join(mnt, 'filler'));
    await load.until(TOTAL, 90_000);
    await load.stop();
    // The writer is stuck on the full disk: readiness says so, with the reason.
    const stuck = await waitFor(async () => {
      const r = await hub!.get<Ready>('/readyz');
      return r.status === 503 && r.body.checks.writer?.ok === false ? r.body : undefined;
    }, 20_000, 'the writer reported stalled');
    expect(stuck.checks.writer?.detail).toMatch(/no progress for \d+ s with \d+ bytes waiting/);
    // The log says why, in words: the store's error message as a string.
    const failed = hub.output().split('\n').filter((l) => l.includes('store write failed')).map((l) => JSON.parse(l) as { err: unknown });
    expect(failed.length).toBeGreaterThan(0);
    expect(typeof failed[0]!.err, JSON.stringify(failed[0]).slice(0, 200)).toBe('string');
    hub.proc.kill('SIGKILL');
    await hub.stop({ keepData: true });
    hub = undefined;

    const damaged = await damageSpool(spoolDir);
    await unlink(join(mnt, 'filler'));
    hub = await startHub({ dataDir: dir, env });
    const ready = await waitFor(async () => {
      const r = await hub!.get<Ready>('/readyz');
      return r.status === 200 && r.body.checks.spool?.detail?.startsWith('0 bytes waiting') ? r.body : undefined;
    }, 60_000, 'the spool drained');
    expect(ready.checks.spool?.detail).toContain(`${damaged.corrupt} corrupt record(s) skipped`);
    const metrics = await (await fetch(`${hub.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`^cityhub_spool_corrupt_records_total ${damaged.corrupt}$`, 'm'));
    expect(await hub.stop({ keepData: true })).toBe(0);
    hub = undefined;

    const acked = [...load.acked.values()];
    const { stored, duplicates, missing } = await checkStoredInDuckDb(dir, assets, acked);
    console.log(`corrupt spool: ${acked.length} acknowledged; stored ${stored.size}; missing ${missing.length} (${damaged.lost.size} in damaged records); duplicates ${duplicates}`);
    expect(duplicates).toBe(0);
    expect(missing.map((m) => `${m.asset}|${m.ts}`).filter((k) => !damaged.lost.has(k))).toEqual([]);
    expect(missing.length).toBeGreaterThan(0);
    for (const k of damaged.kept) expect(stored.has(k), k).toBe(true);
  }, 240_000);
});

/**
 * Flips a bit in a record before the cursor (already stored), in the record at the cursor and in one
 * after it, and cuts the last record of a segment that is not the last in half.
 */
async function damageSpool(spoolDir: string): Promise<{ corrupt: number; lost: Set<string>; kept: string[] }> {
  const { frames, cursor, segs } = await readSpool(spoolDir);
  const last = Math.max(...segs.keys());
  const at = frames.find((f) => (f.seg === cursor.seg && f.off >= cursor.off) || f.seg > cursor.seg);
  const before = frames.filter((f) => f.seg === cursor.seg && f.off < cursor.off).at(-1);
  const later = frames.filter((f) => at && f.seg > at.seg + 1 && f.seg < last);
  if (!at || later.length < 2) throw new Error(`too few spool segments after the cursor ${JSON.stringify(cursor)}: ${[...segs.keys()].join(' ')}`);
  const after = later[Math.floor(later.length / 4)]!;
  const tornSeg = later.at(-1)!.seg;
  const torn = later.filter((f) => f.seg === tornSeg).at(-1)!;
  const hit: SpoolFrame[] = [at, after, ...(before ? [before] : [])];
  for (const f of hit) await flipBit(segPath(spoolDir, f.seg), f.off + 8 + Math.floor((f.bytes - 8) / 2));
  await truncate(segPath(spoolDir, torn.seg), torn.off + Math.floor(torn.bytes / 2));
  return { corrupt: hit.length, lost: new Set([at, after, torn].flatMap((f) => f.readings)), kept: before?.readings ?? [] };
}
