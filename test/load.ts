/**
 * A QoS 1 load of many devices over real MQTT that records exactly which readings were acknowledged, for
 * the crash and outage tests: a reading counts as acknowledged only when its PUBACK arrived.
 */
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { createDuckDbStore } from '@cityhub/store';
import type { Credentials } from './harness.js';

export interface AckedReading { device: string; asset: string; ts: number; seq: number; value: number }

export interface Load {
  /** Readings acknowledged so far, by `device|ts`. */
  acked: Map<string, AckedReading>;
  sent(): number;
  /** Resolves when `n` readings were acknowledged in all, or rejects after `timeoutMs`. */
  until(n: number, timeoutMs: number): Promise<void>;
  /** Stops publishing and waits for the readings in flight to be acknowledged (or gives up after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Starts publishing as `devices` (traffic devices) to `url`, each with up to `window` readings in flight.
 * Clients keep a persistent session and reconnect by themselves, so readings in flight when the hub dies
 * are sent again: those must not be stored twice.
 */
export function startLoad(url: string, devices: Credentials[], opts: {
  total: number; window?: number; baseTs: number;
  /**
   * Brokers device `i` connects to, in order, moving to the next on each reconnect (as behind a TCP load
   * balancer whose node died); default `url` alone.
   */
  servers?: (i: number) => string[];
}): Load {
  const acked = new Map<string, AckedReading>();
  const window = opts.window ?? 8;
  let sent = 0;
  let stopping = false;
  const clients: MqttClient[] = [];
  const perDevice = Math.ceil(opts.total / devices.length);
  const idle: Array<() => void> = [];

  devices.forEach((d, i) => {
    const servers = opts.servers?.(i).map((u) => new URL(u)).map((u) => ({ host: u.hostname, port: Number(u.port) }));
    const c = mqtt.connect(url, {
      ...(servers && { servers }),
      clientId: d.id, username: d.id, password: d.secret, protocolVersion: 4, clean: false,
      reconnectPeriod: 100, connectTimeout: 5_000, keepalive: 10,
    });
    clients.push(c);
    let seq = 0;
    let inflight = 0;
    /** Readings whose publish failed (the connection dropped before mqtt.js stored them): sent again. */
    const retry: Array<{ s: number; ts: number; value: number }> = [];
    const send = (r: { s: number; ts: number; value: number }) => {
      inflight++;
      c.publish(`city/traffic/${d.id}/telemetry`, JSON.stringify({ ts: r.ts, seq: r.s, speed_kmh: r.value }), { qos: 1 }, (err) => {
        inflight--;
        if (err) retry.push(r);
        else acked.set(`${d.id}|${r.ts}`, { device: d.id, asset: d.asset, ts: r.ts, seq: r.s, value: r.value });
        for (const w of idle.splice(0)) w();
        pump();
      });
    };
    const pump = () => {
      while (inflight < window && c.connected && (retry.length > 0 || (!stopping && seq < perDevice))) {
        const again = retry.shift();
        if (again) {
          send(again);
          continue;
        }
        const s = seq++;
        sent++;
        // Distinct values per reading, so that a sum tells a lost or doubled reading.
        send({ s, ts: opts.baseTs + s * 1_000, value: Math.round(((s * 7 + i * 13) % 2_000) / 10 + 1) });
      }
    };
    c.on('connect', pump);
  });

  const waitChange = () => new Promise<void>((r) => { idle.push(r); setTimeout(r, 200); });
  return {
    acked,
    sent: () => sent,
    async until(n, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (acked.size < n) {
        if (Date.now() > deadline) {
          const stuck = clients.filter((c) => !c.connected).map((c) => c.options.clientId);
          const outgoing = clients.map((c) => [c.options.clientId, Object.keys((c as unknown as { outgoing: object }).outgoing).length] as const).filter(([, n]) => n > 0);
          throw new Error(`only ${acked.size} of ${n} readings acknowledged in ${timeoutMs} ms; disconnected: ${stuck.join(' ') || 'none'}; waiting for PUBACK: ${JSON.stringify(outgoing)}`);
        }
        await waitChange();
      }
    },
    async stop(timeoutMs = 20_000) {
      stopping = true;
      const deadline = Date.now() + timeoutMs;
      // Let every reading that was sent be acknowledged (mqtt.js re-sends them after a reconnect).
      while (acked.size < sent && Date.now() < deadline) await waitChange();
      await Promise.all(clients.map((c) => c.endAsync(true)));
    },
  };
}

/**
 * What the store holds of the acknowledged readings: every raw speed point of `assets` since the oldest
 * acknowledged one, the points stored twice, and the acknowledged readings missing (or with another value).
 */
export async function checkStored(
  store: { series(q: { assets: string[]; metric: string; from: number; to: number }): Promise<Array<{ asset: string; points: Array<[number, number]> }>> },
  assets: string[], acked: readonly AckedReading[],
): Promise<{ stored: Map<string, number>; duplicates: number; missing: AckedReading[]; from: number }> {
  const from = acked.reduce((m, r) => Math.min(m, r.ts), Infinity);
  const rows = await store.series({ assets, metric: 'speed_kmh', from, to: Date.now() });
  const stored = new Map<string, number>();
  let duplicates = 0;
  for (const r of rows) for (const [ts, v] of r.points) {
    const k = `${r.asset}|${ts}`;
    if (stored.has(k)) duplicates++;
    stored.set(k, v);
  }
  return { stored, duplicates, missing: acked.filter((r) => stored.get(`${r.asset}|${r.ts}`) !== r.value), from };
}

/** `checkStored` against the DuckDB file in the data directory of a stopped hub. */
export async function checkStoredInDuckDb(dataDir: string, assets: string[], acked: readonly AckedReading[]): ReturnType<typeof checkStored> {
  const store = createDuckDbStore({ path: join(dataDir, 'cityhub.duckdb') });
  await store.init();
  try {
    return await checkStored(store, assets, acked);
  } finally {
    await store.close();
  }
}
