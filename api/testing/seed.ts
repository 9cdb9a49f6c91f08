import type { Kind } from '@cityhub/contracts';
import { openHarness, type Harness } from './harness.js';

/** What `seedReadings` wrote: the first reading's time and the assets of each kind that have readings. */
export interface Seeded { t0: number; step: number; count: number; assets: Record<Kind, string[]> }

const READING: Record<Kind, (i: number) => Record<string, number>> = {
  traffic: (i) => ({ speed_kmh: 20 + i, travel_time_s: 100 + i, flow_veh_h: 600 + 10 * i, occupancy_pct: 30 + i }),
  wifi: (i) => ({ clients: 5 + i, rx_kbps: 1000 + i, tx_kbps: 500 + i }),
  energy: (i) => ({ power_kw: 40 + i, energy_kwh: 1000 + 10 * i }),
};

/**
 * Writes `count` readings 10 minutes apart through ingest (the real path: registry, spool, writer, store) for
 * the first `perKind` assets of each kind, starting on a whole hour three hours ago; values grow with i.
 */
export async function seedReadings(h: Harness, perKind = 3, count = 12): Promise<Seeded> {
  const step = 600_000;
  const t0 = Math.floor((Date.now() - 3 * 3_600_000) / 3_600_000) * 3_600_000;
  const assets = { traffic: [], wifi: [], energy: [] } as Record<Kind, string[]>;
  for (const kind of ['traffic', 'wifi', 'energy'] as const) {
    const ids = h.deps.catalogue.features.filter((f) => f.properties.kind === kind).slice(0, perKind).map((f) => f.id);
    for (const [n, asset] of ids.entries()) {
      const dev = await h.registry.add({ kind, asset });
      const readings = Array.from({ length: count }, (_, i) => ({ ts: t0 + i * step, seq: i, ...READING[kind](i + n) }));
      await h.ingest.accept(dev.id, `city/${kind}/${dev.id}/telemetry`, Buffer.from(JSON.stringify(readings)));
      assets[kind].push(asset);
    }
  }
  if (!(await h.ingest.writer.drained())) throw new Error('the writer did not drain');
  return { t0, step, count, assets };
}

/** A harness on an in-memory store, with readings seeded through ingest (`seedReadings`). */
export async function openSeeded(perKind = 3, count = 12): Promise<{ h: Harness; seeded: Seeded }> {
  const h = await openHarness({}, { memoryStore: true });
  return { h, seeded: await seedReadings(h, perKind, count) };
}

/** What a test checks of an NGSI-LD error: status, media type, problem type, and that title and detail are text. */
export function problemSummary(r: { statusCode: number; headers: Record<string, unknown>; json<T>(): T }): [number, string, string, string, string] {
  const b = r.json<{ type: string; title: unknown; detail: unknown }>();
  return [r.statusCode, String(r.headers['content-type']).split(';')[0]!, b.type, typeof b.title, typeof b.detail];
}
/** The summary a problem of an error type should have. */
export const problem = (status: number, type: string): ReturnType<typeof problemSummary> =>
  [status, 'application/json', `https://uri.etsi.org/ngsi-ld/errors/${type}`, 'string', 'string'];
