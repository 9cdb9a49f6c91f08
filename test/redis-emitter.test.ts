/**
 * The broker nodes' emitter on a real redis-server, with `uuid` overridden in package.json (`overrides`: the
 * 8.x that mqemitter-redis brings through hyperid has GHSA-w5hq-g745-h8pq): two nodes' emitters carry a
 * message from one to the other, and hyperid loads the fixed uuid.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { sharedBrokerState, type SharedBrokerState } from '../src/wiring/redis.js';
import { startRedis, type RedisServer } from './redis.js';

interface Emitter {
  on(topic: string, notify: (msg: { topic: string; payload: Buffer }, done: () => void) => void, subscribed: () => void): void;
  emit(msg: { topic: string; payload: Buffer }, done: (err?: Error) => void): void;
}

/** The version of the package `name` as `from` (a file path) resolves it. */
function versionOf(name: string, from: string): string {
  const main = createRequire(from).resolve(name);
  for (let dir = dirname(main); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version: string };
      if (pkg.name === name) return pkg.version;
    } catch { /* no package.json here: go up */ }
  }
  throw new Error(`no package.json for ${name}`);
}

describe('mqemitter-redis with the overridden uuid', () => {
  let redis: RedisServer;
  const nodes: SharedBrokerState[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    const quiet = pino({ level: 'silent' });
    nodes.push(sharedBrokerState(redis.url, quiet), sharedBrokerState(redis.url, quiet));
  });
  afterAll(async () => {
    for (const n of nodes) await n.close();
    await redis?.stop();
  });

  it('hyperid (mqemitter-redis\' message ids) loads uuid 11.1.1 or later, which it can require', () => {
    const req = createRequire(import.meta.url);
    const hyperid = createRequire(req.resolve('mqemitter-redis')).resolve('hyperid');
    const [major, minor, patch] = versionOf('uuid', hyperid).split('.').map(Number) as [number, number, number];
    expect(major > 11 || (major === 11 && (minor > 1 || (minor === 1 && patch >= 1)))).toBe(true);
    const uuid = createRequire(hyperid)('uuid') as { v4(): string; validate(s: string): boolean };
    expect(uuid.validate(uuid.v4())).toBe(true);
    const ids = (createRequire(hyperid)('hyperid') as () => () => string)();
    expect(ids()).not.toBe(ids());
  });

  it('carries a message emitted on one node to a subscriber on the other, once', async () => {
    const [a, b] = nodes.map((n) => n.aedes.mq as Emitter) as [Emitter, Emitter];
    for (let i = 0; i < 100 && !nodes.every((n) => n.ok()); i++) await new Promise((r) => setTimeout(r, 50));
    expect(nodes.every((n) => n.ok())).toBe(true);
    const got: string[] = [];
    await new Promise<void>((resolve) => a.on('city/traffic/+/telemetry', (msg, done) => {
      got.push(`${msg.topic} ${msg.payload.toString()}`);
      done();
    }, resolve));
    await new Promise<void>((resolve, reject) => b.emit({ topic: 'city/traffic/tr-1/telemetry', payload: Buffer.from('{"ts":1}') }, (err) => (err ? reject(err) : resolve())));
    for (let i = 0; i < 100 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    expect(got).toEqual(['city/traffic/tr-1/telemetry {"ts":1}']);
  });
});
