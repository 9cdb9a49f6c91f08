import type { RunningBroker } from '@cityhub/broker';
import { liveTopic, type Kind } from '@cityhub/contracts';
import type { Point } from '@cityhub/store';
import type { Ingest } from '@cityhub/ingest';
import { brokerBus } from '../wiring/broker.js';
import type { Stops } from '../wiring/stops.js';

/** How long validated readings are gathered before they go out on the live topics, in ms. */
const LIVE_BATCH_MS = 25;

/**
 * Publishes validated readings, gathered for a few ms per kind, through the broker's bus, so
 * that they reach subscribers on every node (through Redis when nodes share it). QoS 0: the live feed is a
 * view; the store is the record. With `always` false, readings are relayed only while a service client is
 * connected to this node (serialising them costs the ingest path otherwise).
 */
export function relayLive(broker: RunningBroker, ingest: Ingest, stops: Stops, opts: { always: boolean }): void {
  const bus = brokerBus(broker);
  const pending = new Map<Kind, Point[]>();
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    for (const [kind, points] of pending) bus.publish(liveTopic(kind), Buffer.from(JSON.stringify(points)));
    pending.clear();
  };
  ingest.on('points', (points) => {
    // On a lone hub nobody else can be listening unless a service client is connected here; a broker node's
    // subscribers may be on other nodes.
    if (!opts.always && broker.serviceClients() === 0) return;
    for (const p of points) {
      const list = pending.get(p.kind);
      if (list) list.push(p);
      else pending.set(p.kind, [p]);
    }
    timer ??= setTimeout(flush, LIVE_BATCH_MS);
  });
  stops.push('live relay', flush);
}
