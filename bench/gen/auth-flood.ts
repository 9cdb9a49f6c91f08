/**
 * Wrong-password MQTT logins for one known device id, `concurrency` at a time for `durationMs`, in a
 * process of its own. IPC: 'start' { host, port, id, concurrency, durationMs } → 'result' { attempts,
 * refusals (by CONNACK code or error), connackP50Ms, connackP99Ms }.
 */
import { RawMqtt } from '../lib/raw-mqtt.js';
import { percentiles } from '../lib/stats.js';

interface Job { host: string; port: number; id: string; concurrency: number; durationMs: number }

async function flood(job: Job) {
  const end = Date.now() + job.durationMs;
  const refusals: Record<string, number> = {};
  const times: number[] = [];
  let attempts = 0;
  const worker = async (w: number) => {
    while (Date.now() < end) {
      const t0 = performance.now();
      attempts++;
      try {
        const c = await RawMqtt.connect({ host: job.host, port: job.port, clientId: job.id, username: job.id, password: `guess-${w}-${attempts}`, timeoutMs: 60_000 });
        refusals.accepted = (refusals.accepted ?? 0) + 1;
        await c.close();
      } catch (err) {
        const key = /CONNACK (\d+)/.exec((err as Error).message)?.[1] ?? (err as Error).message.slice(0, 40);
        refusals[key] = (refusals[key] ?? 0) + 1;
      }
      times.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, (_, w) => worker(w)));
  const p = percentiles(times);
  return { attempts, refusals, connackP50Ms: p.p50, connackP99Ms: p.p99 };
}

process.on('message', (m: { type: string } & Job) => {
  if (m.type !== 'start') return;
  flood(m).then((result) => process.send!({ type: 'result', result }), (err: Error) => process.send!({ type: 'error', message: err.message }));
});
