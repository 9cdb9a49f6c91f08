/**
 * Why the DuckDB store keeps its key with delete-then-insert rather than a PRIMARY KEY and
 * `INSERT OR REPLACE`: `npx tsx store/bench/duckdb-upsert.ts` loads 1M rows (100 batches of 5,000
 * two-metric readings) each way, then times 20 batches of new readings and 10 batches that re-write old ones.
 * First it prints how this DuckDB treats a PRIMARY KEY re-written within one transaction (older versions
 * raised "over-eager" constraint errors there).
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

type Strategy = 'primary key + INSERT OR REPLACE' | 'DELETE USING staging + INSERT';
const COLUMNS = `kind VARCHAR NOT NULL, asset VARCHAR NOT NULL, device VARCHAR NOT NULL, metric VARCHAR NOT NULL,
  ts BIGINT NOT NULL, value DOUBLE NOT NULL, seq BIGINT NOT NULL`;
const T0 = Date.UTC(2024, 0, 1);

async function write(conn: DuckDBConnection, strategy: Strategy, startMinute: number): Promise<void> {
  const appender = await conn.createAppender('staging');
  let minTs = Number.MAX_SAFE_INTEGER;
  let maxTs = 0;
  for (let j = 0; j < 5_000; j++) {
    const a = j % 1_000;
    const minute = startMinute + Math.floor(j / 1_000);
    const ts = T0 + minute * 60_000;
    minTs = Math.min(minTs, ts);
    maxTs = Math.max(maxTs, ts);
    for (const [metric, value] of [['speed_kmh', 40 + (j % 7)], ['flow_veh_h', 300 + (j % 11)]] as const) {
      appender.appendVarchar('traffic');
      appender.appendVarchar(`L${a}`);
      appender.appendVarchar(`d${a}`);
      appender.appendVarchar(metric);
      appender.appendBigInt(BigInt(ts));
      appender.appendDouble(value);
      appender.appendBigInt(BigInt(minute));
      appender.endRow();
    }
  }
  appender.closeSync();
  await conn.run('BEGIN TRANSACTION');
  if (strategy === 'primary key + INSERT OR REPLACE') {
    await conn.run('INSERT OR REPLACE INTO raw SELECT * FROM staging');
  } else {
    await conn.run(`DELETE FROM raw USING staging s WHERE raw.ts BETWEEN ${minTs} AND ${maxTs} AND raw.ts = s.ts
      AND raw.asset = s.asset AND raw.metric = s.metric AND raw.device = s.device AND raw.kind = s.kind`);
    await conn.run('INSERT INTO raw SELECT * FROM staging');
  }
  await conn.run('COMMIT');
  await conn.run('DELETE FROM staging');
}

async function primaryKeyFacts(): Promise<void> {
  // In a file, checkpointed, because the old errors came from indexes loaded from disk.
  const dir = await mkdtemp(join(tmpdir(), 'cityhub-pk-'));
  const db = await DuckDBInstance.create(join(dir, 'pk.duckdb'));
  const conn = await db.connect();
  const attempt = async (label: string, sql: string[]) => {
    try {
      for (const q of sql) await conn.run(q);
      const rows = (await conn.runAndReadAll("SELECT v FROM t WHERE k = 'a'")).getRows().map((r) => r[0]);
      console.log(`${label}: ok, v = ${JSON.stringify(rows)}`);
    } catch (e) {
      await conn.run('ROLLBACK').catch(() => undefined);
      console.log(`${label}: ${(e as Error).message}`);
    }
  };
  await conn.run('CREATE TABLE t (k VARCHAR PRIMARY KEY, v INTEGER)');
  await conn.run("INSERT INTO t VALUES ('a', 1)");
  await conn.run('CHECKPOINT');
  await attempt('DELETE then INSERT of one key in one transaction',
    ['BEGIN', "DELETE FROM t WHERE k = 'a'", "INSERT INTO t VALUES ('a', 2)", 'COMMIT']);
  await attempt('INSERT OR REPLACE twice in one transaction',
    ['BEGIN', "INSERT OR REPLACE INTO t VALUES ('a', 3)", "INSERT OR REPLACE INTO t VALUES ('a', 4)", 'COMMIT']);
  await attempt('UPDATE then INSERT OR REPLACE in one transaction',
    ['BEGIN', "UPDATE t SET v = 5 WHERE k = 'a'", "INSERT OR REPLACE INTO t VALUES ('a', 6)", 'COMMIT']);
  await attempt('INSERT OR REPLACE of one key twice in one statement (7 then 8)',
    ["INSERT OR REPLACE INTO t VALUES ('a', 7), ('a', 8)"]);
  conn.closeSync();
  db.closeSync();
  await rm(dir, { recursive: true, force: true });
}

await primaryKeyFacts();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

for (const strategy of ['primary key + INSERT OR REPLACE', 'DELETE USING staging + INSERT'] as const) {
  const dir = await mkdtemp(join(tmpdir(), 'cityhub-upsert-'));
  const file = join(dir, 'u.duckdb');
  const db = await DuckDBInstance.create(file);
  const conn = await db.connect();
  const key = strategy.startsWith('primary') ? ', PRIMARY KEY (kind, asset, device, metric, ts)' : '';
  await conn.run(`CREATE TABLE raw (${COLUMNS}${key})`);
  await conn.run(`CREATE TEMP TABLE staging (${COLUMNS})`);
  let t = performance.now();
  for (let b = 0; b < 100; b++) await write(conn, strategy, b * 5);
  const load = performance.now() - t;
  const fresh: number[] = [];
  for (let b = 100; b < 120; b++) {
    t = performance.now();
    await write(conn, strategy, b * 5);
    fresh.push(performance.now() - t);
  }
  const again: number[] = [];
  for (let b = 0; b < 10; b++) {
    t = performance.now();
    await write(conn, strategy, b * 37);
    again.push(performance.now() - t);
  }
  const rows = (await conn.runAndReadAll('SELECT count(*) FROM raw')).getRows()[0]?.[0];
  await conn.run('CHECKPOINT');
  conn.closeSync();
  db.closeSync();
  const mb = (await stat(file)).size / 1e6;
  console.log(`${strategy}: load 1M rows ${(load / 1000).toFixed(1)} s; new batch median ${median(fresh).toFixed(1)} ms; ` +
    `re-write batch median ${median(again).toFixed(1)} ms; ${String(rows)} rows; file ${mb.toFixed(1)} MB`);
  await rm(dir, { recursive: true, force: true });
}
