import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openRegistry, type FileRegistry } from '@cityhub/devices';
import { startTestBroker, type TestBroker } from './broker.fixture.js';
import { simulateCommand } from '../src/simulate-cli.js';

let dataDir: string;
let registry: FileRegistry;
let broker: TestBroker;

const capture = () => {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: { log: (s: string) => lines.push(s), error: (s: string) => errors.push(s) } };
};

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cityhub-simcli-'));
  registry = await openRegistry(dataDir);
  broker = await startTestBroker(registry);
});

afterEach(async () => {
  await broker.close();
  await registry.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('cityhub devices simulate', () => {
  it('prints its help, and refuses bad options with exit status 2', async () => {
    const c = capture();
    expect(await simulateCommand(['--help'], { dataDir }, c.out)).toBe(0);
    expect(c.lines.join('\n')).toMatch(/--backfill-days D/);

    for (const args of [['--count', 'many'], ['--interval-ms', '5'], ['--nope'], ['--mqtt', 'http://x'], ['--hash-cost', '1000'], ['--backfill-days', '31']]) {
      const e = capture();
      expect(await simulateCommand(args, { dataDir, retentionDays: 30 }, e.out)).toBe(2);
      expect(e.errors.join('\n')).toMatch(/cityhub devices simulate: /);
    }
    const big = capture();
    expect(await simulateCommand(['--count', '10000'], { dataDir }, big.out)).toBe(2);
    expect(big.errors.join('\n')).toMatch(/--synthetic 9788 .*CITYHUB_SYNTHETIC_ASSETS=9788/);
  });

  it('runs a fleet against a broker, with a backfill, and stops cleanly when asked', async () => {
    const seen = await broker.observe('city/+/+/telemetry');
    const c = capture();
    const stop = new AbortController();
    const run = simulateCommand(
      ['--count', '4', '--interval-ms', '200', '--backfill-days', '0.1', '--backfill-step-ms', '60000', '--json', '--stats-ms', '300',
        '--mqtt', broker.url, '--outages-per-hour', '0', '--hash-cost', '1024'],
      { dataDir, signal: stop.signal }, c.out);
    const events = () => c.lines.map((l) => JSON.parse(l) as { event: string; [k: string]: unknown });
    const deadline = Date.now() + 15_000;
    while (!events().some((e) => e.event === 'backfilled') || !events().some((e) => e.event === 'stats' && (e.acked as number) >= 4)) {
      if (Date.now() > deadline) throw new Error(`no progress: ${c.lines.join('\n')} ${c.errors.join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    stop.abort();
    expect(await run).toBe(0);
    const ev = events();
    expect(ev[0]).toMatchObject({ event: 'started', devices: 4 });
    expect(ev.find((e) => e.event === 'connected')).toMatchObject({ devices: 4 });
    const backfilled = ev.find((e) => e.event === 'backfilled')!;
    // 0.1 day at one reading a minute: 144 per device.
    expect(backfilled.readings).toBeGreaterThanOrEqual(4 * 143);
    expect(backfilled.readings).toBeLessThanOrEqual(4 * 145);
    const stopped = ev.at(-1)!;
    expect(stopped).toMatchObject({ event: 'stopped', reason: 'aborted' });
    expect(stopped.acked).toBe(stopped.published);
    expect(seen.filter((s) => s.payload.startsWith('[')).length).toBeGreaterThanOrEqual(4);
    // The devices are in the hub's registry, hashed with its key (the scrypt cost asked for is for a registry without one).
    const devices = registry.list();
    expect(devices).toHaveLength(4);
    expect(devices.every((d) => d.simulated && d.secret_hash.startsWith('hmac-sha256$'))).toBe(true);
  }, 30_000);
});
