import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../../testing/harness.js';
import { openSeeded, type Seeded } from '../../testing/seed.js';
import { NgsiPusher, type PushOptions } from './push.js';

interface Recorded { url: string; headers: IncomingHttpHeaders; body: Array<{ id: string; type: string }> }

/**
 * A small real HTTP peer standing in for a context broker: it records every request and answers with the
 * status `answer` gives (204, as a broker does for a batch upsert that fully succeeded).
 */
async function recordingBroker(answer: (n: number) => number = () => 204): Promise<{ url: string; got: Recorded[]; close(): Promise<void> }> {
  const got: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      got.push({ url: req.url!, headers: req.headers, body: JSON.parse(body) as Recorded['body'] });
      res.statusCode = answer(got.length);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got, close: () => new Promise((r) => server.close(() => r())) };
}

const quiet = { warn() {}, info() {} };
const until = async (ok: () => boolean, ms = 10_000) => {
  for (const end = Date.now() + ms; !ok(); await new Promise((r) => setTimeout(r, 20))) if (Date.now() > end) throw new Error('timed out');
};

describe('pushing entities to a context broker (a recording HTTP server; untested against Orion-LD)', () => {
  let h: Harness;
  let seeded: Seeded;
  let pusher: NgsiPusher | undefined;
  beforeAll(async () => ({ h, seeded } = await openSeeded(1, 2)));
  afterAll(async () => h.close());
  afterEach(async () => pusher?.close());
  const options = (brokerUrl: string, extra: Partial<PushOptions> = {}): PushOptions => ({
    brokerUrl, tenant: 'thessaloniki', contextUrl: 'https://hub.example.org/ngsi-ld/v1/jsonldContexts/cityhub.jsonld', intervalMs: 3_600_000,
    maxPending: 100, store: h.store, catalogue: h.deps.catalogue, live: h.ingest, settled: () => h.ingest.writer.drained(), logger: quiet, batchSize: 100, backoffMs: 10, debounceMs: 20, ...extra,
  });

  it('upserts every entity in batches on start, with the context link and tenant, then the changed ones as readings come', async () => {
    const broker = await recordingBroker();
    try {
      pusher = new NgsiPusher(options(broker.url)).start();
      await until(() => pusher!.peek().pushed >= 220);
      await pusher.idle();
      const all = broker.got.flatMap((r) => r.body);
      // 178 road segments, 20 points of interest and 20 access points, one observation of each kind with readings.
      expect(all).toHaveLength(178 + 20 + 20 + 2);
      expect(broker.got.every((r) => r.body.length <= 100)).toBe(true);
      const first = broker.got[0]!;
      expect(first.url).toBe('/ngsi-ld/v1/entityOperations/upsert?options=update');
      expect(first.headers['content-type']).toBe('application/json');
      expect(first.headers.link).toBe('<https://hub.example.org/ngsi-ld/v1/jsonldContexts/cityhub.jsonld>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"');
      expect(first.headers['ngsild-tenant']).toBe('thessaloniki');
      // A new reading of one link: its entities (segment and observation) go, and only they.
      const before = broker.got.length;
      const link = seeded.assets.traffic[0]!;
      const dev = h.registry.list().find((d) => d.asset === link)!;
      await h.ingest.accept(dev.id, `city/traffic/${dev.id}/telemetry`, Buffer.from(JSON.stringify({ ts: Date.now() - 1000, seq: 99, speed_kmh: 12 })));
      await until(() => broker.got.length > before);
      await pusher.idle();
      const changed = broker.got.slice(before).flatMap((r) => r.body);
      expect(changed.map((e) => e.id).sort()).toEqual([`urn:ngsi-ld:RoadSegment:thessaloniki:${link}`, `urn:ngsi-ld:TrafficFlowObserved:thessaloniki:${link}`]);
      expect(changed.find((e) => e.type === 'TrafficFlowObserved')).toMatchObject({ averageVehicleSpeed: { value: 12 } });
    } finally {
      await broker.close();
    }
  });

  it('retries a refused batch with backoff until the broker takes it', async () => {
    const broker = await recordingBroker((n) => (n <= 2 ? 503 : 204));
    try {
      pusher = new NgsiPusher(options(broker.url, { batchSize: 1000 })).start();
      await until(() => pusher!.peek().pushed > 0);
      expect(broker.got).toHaveLength(3);
      expect(pusher.peek()).toMatchObject({ failedBatches: 0, lastError: 'HTTP 503 from the context broker' });
    } finally {
      await broker.close();
    }
  });

  it('gives up after its attempts, keeps at most maxPending changed assets waiting, and says how many it dropped', async () => {
    const broker = await recordingBroker(() => 500);
    try {
      pusher = new NgsiPusher(options(broker.url, { batchSize: 1000, attempts: 2, maxPending: 5, debounceMs: 60_000 })).start();
      await until(() => pusher!.peek().failedBatches === 1);
      expect(broker.got).toHaveLength(2);
      pusher.changed(['link-1', 'link-2', 'link-3', 'link-4', 'link-5', 'link-6', 'link-7']);
      expect(pusher.peek()).toMatchObject({ pending: 5, dropped: 2 });
    } finally {
      await broker.close();
    }
  });
});
