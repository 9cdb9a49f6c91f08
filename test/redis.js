/** Debian's redis-server on a free loopback port with a private, throwaway directory, for tests that need a real Redis. */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './mosquitto.js';
/** Whether a Redis answers PING on `port`. */
function pings(port) {
    return new Promise((resolve) => {
        const s = connect(port, '127.0.0.1', () => s.write('PING\r\n'));
        let reply = '';
        const done = (ok) => {
            s.destroy();
            resolve(ok);
        };
        s.setTimeout(1_000, () => done(false));
        s.on('data', (d) => {
            reply += d.toString('latin1');
            if (reply.includes('\r\n'))
                done(reply.startsWith('+PONG'));
        });
        s.on('error', () => done(false));
    });
}
const exited = (p) => new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r())));
/**
 * Starts redis-server on a free loopback port: `--bind 127.0.0.1`, a temporary `--dir`, no snapshots
 * (`--save ''`), no append-only file. Resolves once it answers PING.
 */
export async function startRedis() {
    const dir = await mkdtemp(join(tmpdir(), 'cityhub-redis-'));
    const port = await freePort();
    let proc;
    let output = '';
    // A test run that dies must not leave servers behind.
    const onExit = () => proc?.kill('SIGKILL');
    process.once('exit', onExit);
    const launch = async () => {
        output = '';
        const p = spawn('redis-server', [
            '--port', String(port), '--bind', '127.0.0.1', '--dir', dir,
            '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--logfile', '', '--loglevel', 'warning',
        ], { stdio: ['ignore', 'pipe', 'pipe'] });
        proc = p;
        const keep = (d) => { output = (output + d.toString()).slice(-2_000); };
        p.stdout?.on('data', keep);
        p.stderr?.on('data', keep);
        p.on('error', (e) => { output += `\n${e.message}`; });
        const deadline = Date.now() + 10_000;
        while (!(await pings(port))) {
            if (Date.now() > deadline || p.exitCode !== null || p.signalCode !== null) {
                p.kill('SIGKILL');
                throw new Error(`redis-server did not start on port ${port} (is Debian's redis-server installed?)\n${output}`);
            }
            await new Promise((r) => setTimeout(r, 25));
        }
    };
    const halt = async () => {
        const p = proc;
        if (!p)
            return;
        if (p.exitCode === null && p.signalCode === null)
            p.kill('SIGTERM');
        await exited(p);
    };
    await launch();
    return {
        url: `redis://127.0.0.1:${port}`,
        port,
        async stop() {
            await halt();
            process.off('exit', onExit);
            await rm(dir, { recursive: true, force: true });
        },
        kill() {
            proc?.kill('SIGKILL');
        },
        async restart() {
            await halt();
            await launch();
        },
    };
}
//# sourceMappingURL=redis.js.map