import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDuckDbStore } from './duckdb/duckdb-store.js';
import { isDeadHandle, reopening } from './reopen.js';
import type { Point, Store } from './types.js';

const point = (ts: number, v: number): Point => ({ kind: 'traffic', asset: 'link-1', device: 'dev-1', ts, seq: v, values: { speed_kmh: v } });

describe('reopening store', () => {
  let dir = '';
  afterAll(async () => { if (dir) await rm(dir, { recursive: true, force: true }); });

  it('replaces a DuckDB handle that died, says why meanwhile, and keeps what was written', async () => {
    dir = await mkdtemp(join(tmpdir(), 'cityhub-reopen-'));
    const opened: Store[] = [];
    const logged: string[] = [];
    const logger = { info: (_: object, m?: string) => logged.push(`info ${m}`), error: (_: object, m?: string) => logged.push(`error ${m}`) };
    const store = reopening(() => {
      const s = createDuckDbStore({ path: join(dir, 'hub.duckdb') });
      opened.push(s);
      return s;
    }, { logger, minBackoffMs: 20 });
    await store.init();
    const t0 = Date.now() - 60_000;
    await store.write([point(t0, 1)]);
    // The handle dies under the store (as an invalidated database does: every statement fails).
    await opened[0]!.close();
    await expect(store.write([point(t0 + 1_000, 2)])).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(store.health?.().ok).toBe(false);
    expect(store.health?.().detail).toMatch(/reopening the duckdb store after: .*closed/);
    const deadline = Date.now() + 10_000;
    while (!store.health?.().ok && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(store.health?.()).toEqual({ ok: true });
    expect(store.reopens()).toBe(1);
    await store.write([point(t0 + 2_000, 3)]);
    const [series] = await store.series({ assets: ['link-1'], metric: 'speed_kmh', from: t0, to: Date.now() });
    expect(series?.points).toEqual([[t0, 1], [t0 + 2_000, 3]]);
    expect(logged).toEqual(['error the store handle is dead: reopening it', 'info store reopened: it serves again']);
    await store.close();
  });

  it('knows the errors of a dead DuckDB handle from the others', () => {
    expect(isDeadHandle(new Error('DuckDB write failed: FATAL Error: Failed: database has been invalidated because of a previous fatal error'))).toBe(true);
    expect(isDeadHandle(new Error('the DuckDB store is closed'))).toBe(true);
    expect(isDeadHandle(new Error('DuckDB write failed: TransactionContext Error: Failed to commit: Could not write file "x.wal": No space left on device'))).toBe(false);
  });
});
