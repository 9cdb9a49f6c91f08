/** Debian's mosquitto on a free loopback port with a private config, for tests that need a third-party broker. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The low end of the kernel's range of ports for outgoing connections (Linux's default 32768 elsewhere). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isSafeInteger(low) ? low : 32_768;
  } catch {
    return 32_768;
  }
}

/** True when `port` can be listened on at 127.0.0.1 now. */
async function listenable(port: number): Promise<boolean> {
  const s = createServer();
  const ok = await new Promise<boolean>((r) => {
    s.once('error', () => r(false));
    s.listen(port, '127.0.0.1', () => r(true));
  });
  if (ok) await new Promise((r) => s.close(r));
  return ok;
}

/**
 * A loopback port free now, below the range the kernel gives outgoing connections. A test that restarts a hub on the
 * same port needs that: while the hub is down, any connection made on the machine (the test's own reconnecting
 * devices, other tests' clients) may get that very port as its local one and hold it, and the restarted hub then
 * fails with EADDRINUSE. Falls back to any free port when there is no room below the range.
 */
export async function freePort(): Promise<number> {
  const top = ephemeralLow() - 1;
  const bottom = 10_000;
  for (let i = 0; top - bottom > 1_000 && i < 50; i++) {
    const port = bottom + Math.floor(Math.random() * (top - bottom));
    if (await listenable(port)) return port;
  }
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

export async function startMosquitto(): Promise<{ url: string; port: number; stop(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'cityhub-mosquitto-'));
  const port = await freePort();
  // Queued messages raised: the default 1000 silently drops QoS 1 messages for a slow subscriber (mosquitto.conf(5), max_queued_messages).
  await writeFile(join(dir, 'mosquitto.conf'), [
    `listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false',
    'max_queued_messages 1000000', 'max_inflight_messages 100', 'log_dest none', '',
  ].join('\n'));
  const proc: ChildProcess = spawn('mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1', () => { s.end(); r(true); });
      s.on('error', () => r(false));
    });
    if (ok) break;
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error('mosquitto did not start (is Debian\'s mosquitto installed?)');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once('exit', r)));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
