// The hub's InfluxDB token from a file (INFLUX_TOKEN_FILE): how docker-compose.yml gives the nodes the token
// scoped to their bucket that influxdb-token made. Against a real influxd behind the /api/v2 front, which
// records the credentials of every request.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '@cityhub/contracts';
import { dropDb, freshDb, useInfluxd } from '../store/test/influx-fixture.js';
import { openStore } from '../src/wiring/store.js';

describe('INFLUX_TOKEN_FILE', () => {
  const servers = useInfluxd();
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cityhub-token-file-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const configFor = (db: string, file: string) => parseConfig({
    CITYHUB_STORE: 'influxdb', INFLUX_URL: servers.front.url, INFLUX_BUCKET: db, INFLUX_ORG: 'thessaloniki', INFLUX_TOKEN_FILE: file,
  });

  it('sends the token the file holds (its line end dropped) with every request of the store', async () => {
    const file = join(dir, 'influx-token');
    await writeFile(file, 'scoped-token_0123456789abcdef==\n', { mode: 0o400 });
    const db = freshDb();
    const before = servers.front.seen.length;
    const store = await openStore(configFor(db, file), dir);
    const ts = Date.now() - 60_000;
    await store.write([{ kind: 'traffic', asset: 'L1', device: 'd1', ts, seq: 1, values: { speed_kmh: 42 } }]);
    expect((await store.latest('traffic')).map((r) => r.values)).toEqual([{ speed_kmh: 42 }]);
    await store.close();
    const seen = servers.front.seen.slice(before);
    expect(seen.map((r) => r.path)).toEqual(expect.arrayContaining(['/api/v2/write', '/query']));
    for (const r of seen) expect(r.authorization, `${r.method} ${r.path}`).toBe('Token scoped-token_0123456789abcdef==');
    await dropDb(servers.influxd.url, db);
  });

  it('refuses to start on a missing or empty file, naming it', async () => {
    const missing = join(dir, 'nothing-here');
    await expect(openStore(configFor(freshDb(), missing), dir)).rejects.toThrow(ConfigError);
    await expect(openStore(configFor(freshDb(), missing), dir)).rejects.toThrow(`INFLUX_TOKEN_FILE: cannot read ${missing} (ENOENT)`);
    const empty = join(dir, 'empty');
    await writeFile(empty, ' \n');
    await expect(openStore(configFor(freshDb(), empty), dir)).rejects.toThrow(`INFLUX_TOKEN_FILE: ${empty} is empty`);
  });
});
