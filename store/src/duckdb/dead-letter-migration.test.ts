import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect, it } from 'vitest';
import { createDuckDbStore } from './duckdb-store.js';
import { createTables } from './schema.js';

it('opens a schema-2 file, whose dead letters have no size or sha256, and keeps its letters', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cityhub-duckdb-v2-'));
  const path = join(dir, 'hub.duckdb');
  try {
    // A file as version 2 left it: the tables of today, minus the dead letters' two new columns.
    const db = await DuckDBInstance.create(path);
    const conn = await db.connect();
    await createTables(conn);
    await conn.run(`UPDATE meta SET value = '2' WHERE key = 'schema_version'`);
    await conn.run('ALTER TABLE dead_letters DROP COLUMN size');
    await conn.run('ALTER TABLE dead_letters DROP COLUMN sha256');
    await conn.run(`INSERT INTO dead_letters VALUES ('old', 1, 1700000000000, 'd1', 't', 'schema', 'm', '${'x'.repeat(20_000)}')`);
    conn.closeSync();
    db.closeSync();

    const store = createDuckDbStore({ path });
    await store.init();
    await store.writeDeadLetters([{ id: 'new', received: 1700000000001, device: 'd1', topic: 't', reason: 'schema', message: 'm', payload: '{}' }]);
    const [fresh, old] = await store.listDeadLetters({});
    expect(fresh).toMatchObject({ id: 'new', size: 2 });
    expect(fresh!.sha256).toMatch(/^[0-9a-f]{64}$/);
    // The old letter lists with its size, its first 8 KiB, and no SHA-256 (it was never taken).
    expect(old).toMatchObject({ id: 'old', size: 20_000 });
    expect(old!.payload).toHaveLength(8_192);
    expect(old!.sha256).toBeUndefined();
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
