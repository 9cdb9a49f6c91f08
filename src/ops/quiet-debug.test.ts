import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * In a process of its own (the module cache is the process's): the built module, then mqtt-packet as aedes loads
 * it, parsing and writing a PUBLISH with `debug`'s own output on stderr.
 */
function run(env: NodeJS.ProcessEnv): { out: Record<string, unknown>; stderr: string } {
  const script = `
    import { createRequire } from 'node:module';
    await import(${JSON.stringify(join(root, 'dist', 'ops', 'quiet-debug.js'))});
    const here = createRequire(${JSON.stringify(join(root, 'package.json'))});
    const fromAedes = createRequire(here.resolve('aedes'));
    const packet = createRequire(fromAedes.resolve('mqtt-packet'));
    const mqtt = packet('mqtt-packet');
    const debug = packet('debug');
    const parser = mqtt.parser();
    let parsed = null;
    parser.on('packet', (p) => { parsed = p.payload.toString(); });
    parser.parse(mqtt.generate({ cmd: 'publish', topic: 'city/traffic/d1/telemetry', payload: '{"ts":1}', qos: 1, messageId: 7 }));
    const logger = debug('mqtt-packet:parser');
    console.log(JSON.stringify({ quieted: debug[Symbol.for('cityhub.quietDebug')] === true, enabled: logger.enabled, parsed }));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return { out: JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>, stderr: r.stderr };
}

describe('mqtt-packet\'s debug loggers', () => {
  it('are loggers that do nothing while their namespace is not enabled, and packets parse as before', () => {
    const { out, stderr } = run({ DEBUG: '' });
    expect(out).toEqual({ quieted: true, enabled: false, parsed: '{"ts":1}' });
    expect(stderr).toBe('');
  });

  it('log as before when DEBUG enables them at start', () => {
    const { out, stderr } = run({ DEBUG: 'mqtt-packet:*' });
    expect(out).toEqual({ quieted: true, enabled: true, parsed: '{"ts":1}' });
    expect(stderr).toContain('mqtt-packet:parser');
  });
});
