/** Debian's mosquitto on a free loopback port with a private config, for tests that need a third-party broker. */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
export async function freePort() {
    const s = createServer();
    await new Promise((r) => s.listen(0, '127.0.0.1', () => r()));
    const port = s.address().port;
    await new Promise((r) => s.close(r));
    return port;
}
export async function startMosquitto() {
    const dir = await mkdtemp(join(tmpdir(), 'cityhub-mosquitto-'));
    const port = await freePort();
    // Queued messages raised: the default 1000 silently drops QoS 1 messages for a slow subscriber (FACTS.md).
    await writeFile(join(dir, 'mosquitto.conf'), [
        `listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false',
        'max_queued_messages 1000000', 'max_inflight_messages 100', 'log_dest none', '',
    ].join('\n'));
    const proc = spawn('mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    for (;;) {
        const ok = await new Promise((r) => {
            const s = connect(port, '127.0.0.1', () => { s.end(); r(true); });
            s.on('error', () => r(false));
        });
        if (ok)
            break;
        if (Date.now() > deadline || proc.exitCode !== null)
            throw new Error('mosquitto did not start (is Debian\'s mosquitto installed?)');
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
//# sourceMappingURL=mosquitto.js.map