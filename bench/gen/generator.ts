/**
 * The load generator, run as a child process (so that it never shares an event loop with a broker): N
 * publisher connections sending 149-byte JSON traffic readings at QoS 0 or 1 with a bounded window of
 * unacknowledged messages per connection, optionally at a fixed total rate, and optionally one subscriber
 * counting what the broker relays. Takes its job as an IPC message, answers with one result message.
 */
import { RawMqtt } from '../lib/raw-mqtt.js';
import type { GenJob, GenResult, SubscriberStop } from '../lib/gen-protocol.js';

const PAYLOAD_BYTES = 149;

/** A traffic reading padded with JSON whitespace to exactly 149 bytes (valid for the hub's schema). */
export function reading(ts: number, seq: number): Buffer {
  const speed = 20 + (seq % 400) / 10;
  const text = `{"ts":${ts},"seq":${seq},"speed_kmh":${speed},"travel_time_s":${(1000 / speed).toFixed(1)},"flow_veh_h":${1000 + (seq % 900)},"occupancy_pct":${(seq % 60) + 0.5}`;
  return Buffer.from(text.padEnd(PAYLOAD_BYTES - 1, ' ') + '}');
}

/**
 * A subscriber alone: counts relayed messages in 100 ms buckets (so that the parent can count those that
 * arrived within the publishers' window), answers 'ready' once subscribed, and its result after 'stop'.
 */
async function subscribeOnly(job: GenJob): Promise<GenResult> {
  const s = job.subscriber!;
  const sub = await RawMqtt.connect({ host: job.host, port: job.port, clientId: s.clientId, username: s.username, password: s.password });
  const bucketBase = Date.now();
  const buckets: number[] = [];
  let received = 0;
  let lastEpoch = 0;
  sub.onPublish = () => {
    received++;
    lastEpoch = Date.now();
    const b = Math.floor((lastEpoch - bucketBase) / 100);
    buckets[b] = (buckets[b] ?? 0) + 1;
  };
  await sub.subscribe(s.filter, s.qos);
  process.send!({ type: 'ready' });
  const stop = await new Promise<SubscriberStop>((resolve) => process.on('message', (m: SubscriberStop) => m.type === 'stop' && resolve(m)));
  const end = Date.now() + stop.timeoutMs;
  let last = -1;
  let stableSince = Date.now();
  while (Date.now() < end && received < stop.expect) {
    if (received !== last) {
      last = received;
      stableSince = Date.now();
    } else if (Date.now() - stableSince > 750) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  await sub.close();
  return {
    connectMs: 0, published: 0, acked: 0, received, throttled: 0, lost: stop.expect - received,
    window: { seconds: 0, published: 0, acked: 0, received: 0 }, windowEpoch: { start: 0, end: 0 },
    startEpoch: 0, atWindowStart: { published: 0, acked: 0, received: 0 }, lastEpoch,
    buckets: Array.from(buckets, (x) => x ?? 0), bucketBase, lastSeq: [], errors: [],
  };
}

/** What a run counts, and whether it is still sending. */
interface Counters { published: number; acked: number; received: number; throttled: number; running: boolean }
interface Publisher { c: RawMqtt; topic: ReturnType<typeof RawMqtt.topicPart>; seq: number; inflight: number; nextId: number }

/** The subscriber (if any) and every publisher, connected. */
async function connectAll(job: GenJob, k: Counters): Promise<{ sub: RawMqtt | undefined; pubs: Publisher[] }> {
  let sub: RawMqtt | undefined;
  if (job.subscriber) {
    sub = await RawMqtt.connect({ host: job.host, port: job.port, ...job.subscriber });
    sub.onPublish = () => {
      k.received++;
    };
    await sub.subscribe(job.subscriber.filter, job.subscriber.qos);
  }
  const pubs = await Promise.all(job.publishers.map(async (p) => {
    const c = await RawMqtt.connect({ host: job.host, port: job.port, clientId: p.clientId, username: p.username, password: p.password, timeoutMs: 60_000 });
    return { c, topic: RawMqtt.topicPart(p.topic), seq: p.firstSeq ?? 0, inflight: 0, nextId: 1 };
  }));
  return { sub, pubs };
}

/** Sends until `k.running` turns false: unthrottled (each acknowledgement releases the next), or at a fixed total rate. */
function startSending(job: GenJob, pubs: Publisher[], k: Counters, sendOne: (p: Publisher) => boolean): void {
  for (const p of pubs) {
    p.c.onPuback = () => {
      k.acked++;
      p.inflight--;
      // Unthrottled: every acknowledgement releases the next message.
      if (k.running && job.rate === undefined) {
        while (p.inflight < job.window && k.running) sendOne(p);
      }
    };
  }
  const t0 = performance.now();
  if (job.rate !== undefined) return sendAtRate(job, job.rate, pubs, k, sendOne, t0);
  for (const p of pubs) {
    if (job.qos === 1) {
      while (p.inflight < job.window) sendOne(p);
      continue;
    }
    const loop = (): void => {
      for (let n = 0; k.running && n < 256; n++) {
        if (!sendOne(p)) {
          p.c.socket.once('drain', loop);
          return;
        }
      }
      if (k.running) setImmediate(loop);
    };
    loop();
  }
}

/** A fixed total rate: every 2 ms, send what is due, round-robin over the connections. */
function sendAtRate(job: GenJob, rate: number, pubs: Publisher[], k: Counters, sendOne: (p: Publisher) => boolean, t0: number): void {
  let next = 0;
  let sentByTicker = 0;
  const ticker = setInterval(() => {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate) - sentByTicker;
    for (let i = 0; i < due; i++) {
      const p = pubs[next++ % pubs.length]!;
      sentByTicker++;
      if (job.qos === 1 && p.inflight >= job.window) {
        k.throttled++;
        continue;
      }
      sendOne(p);
    }
  }, 2);
  setTimeout(() => clearInterval(ticker), job.durationMs).unref();
}

/** Drain: acknowledgements of what is in flight, and the relayed messages still on their way. */
async function drain(job: GenJob, k: Counters, sub: RawMqtt | undefined): Promise<void> {
  const drainEnd = performance.now() + job.drainMs;
  let last = -1;
  let stableSince = performance.now();
  while (performance.now() < drainEnd) {
    const done = job.qos === 1 ? k.acked === k.published : true;
    const now = k.received;
    if (now !== last) {
      last = now;
      stableSince = performance.now();
    }
    const subDone = !sub || k.received >= (job.qos === 1 ? k.acked : k.published) || performance.now() - stableSince > 750;
    if (done && subDone) break;
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function run(job: GenJob): Promise<GenResult> {
  if (job.publishers.length === 0 && job.subscriber) return subscribeOnly(job);
  const started = performance.now();
  const base = Date.now() - (job.seqAgoMs ?? 10 * 60_000);
  const k: Counters = { published: 0, acked: 0, received: 0, throttled: 0, running: true };
  const { sub, pubs } = await connectAll(job, k);
  const connectMs = performance.now() - started;

  const tsOf = (seq: number) => (job.tsMode === 'now' ? Date.now() : base + seq);
  const sendOne = (p: Publisher): boolean => {
    const seq = p.seq++;
    const payload = reading(tsOf(seq), seq);
    k.published++;
    if (job.qos === 1) {
      p.inflight++;
      const id = p.nextId;
      p.nextId = p.nextId === 65_535 ? 1 : p.nextId + 1;
      return p.c.publish(p.topic, payload, 1, id);
    }
    return p.c.publish(p.topic, payload, 0);
  };
  const startEpoch = Date.now();
  startSending(job, pubs, k, sendOne);

  // Counters at the end of the warm-up and at the end of the run: the rate is their difference.
  const snap = () => ({ t: performance.now(), epoch: Date.now(), published: k.published, acked: k.acked, received: k.received });
  await new Promise((r) => setTimeout(r, job.warmupMs));
  const a = snap();
  await new Promise((r) => setTimeout(r, job.durationMs - job.warmupMs));
  const b = snap();
  k.running = false;
  await drain(job, k, sub);
  await Promise.all([...pubs.map((p) => p.c.close()), sub?.close()]);
  const seconds = (b.t - a.t) / 1000;
  return {
    connectMs,
    published: k.published,
    acked: k.acked,
    received: k.received,
    throttled: k.throttled,
    lost: sub ? (job.qos === 1 ? k.acked : k.published) - k.received : null,
    window: { seconds, published: b.published - a.published, acked: b.acked - a.acked, received: b.received - a.received },
    windowEpoch: { start: a.epoch, end: b.epoch },
    startEpoch,
    atWindowStart: { published: a.published, acked: a.acked, received: a.received },
    lastEpoch: 0,
    buckets: [],
    bucketBase: 0,
    lastSeq: pubs.map((p) => p.seq),
    errors: [],
  };
}

process.once('message', (job: GenJob) => {
  run(job).then(
    (result) => process.send!({ type: 'result', result }, () => process.exit(0)),
    (err: unknown) => process.send!({ type: 'error', message: (err as Error).message }, () => process.exit(1)),
  );
});
