/** What the bench asks of the load generator child (bench/gen/generator.ts), and what it answers. */
export interface GenJob {
  host: string;
  port: number;
  publishers: Array<{ clientId: string; username?: string; password?: string; topic: string; firstSeq?: number }>;
  qos: 0 | 1;
  /** Unacknowledged QoS 1 messages per connection. */
  window: number;
  durationMs: number;
  /** Counted from the end of the warm-up to the end of the run. */
  warmupMs: number;
  /** Total messages per second over all connections; as fast as acknowledged when absent. */
  rate?: number;
  /** `seq`: ts = (start − `seqAgoMs`) + seq, unique per device (every reading has its own store key); `now`: send time. */
  tsMode: 'seq' | 'now';
  /** With `seq`: how long before the start the first reading is timed (default 10 min). */
  seqAgoMs?: number;
  /**
   * A subscriber counting what the broker relays. A job with a subscriber and no publishers runs it alone
   * (a process of its own): it answers 'ready' once subscribed and its result after a 'stop' message.
   */
  subscriber?: { clientId: string; username?: string; password?: string; filter: string; qos: 0 | 1 };
  /** How long to wait after the run for acknowledgements and relayed messages. */
  drainMs: number;
}

export interface GenResult {
  connectMs: number;
  published: number;
  acked: number;
  received: number;
  /** Messages the fixed rate could not send because the connection's window was full. */
  throttled: number;
  /** Messages the subscriber never got (QoS 1: of those acknowledged), or null without one. */
  lost: number | null;
  window: { seconds: number; published: number; acked: number; received: number };
  /** The counted window in epoch ms (publishers). */
  windowEpoch: { start: number; end: number };
  /** When the publishers sent their first message (epoch ms), and their counters when the counted window began. */
  startEpoch: number;
  atWindowStart: { published: number; acked: number; received: number };
  /** When the subscriber got its last message (epoch ms; 0 for publishers). */
  lastEpoch: number;
  /** Messages received per 100 ms, from `bucketBase` (epoch ms; subscriber). */
  buckets: number[];
  bucketBase: number;
  /** The next sequence number of each publisher. */
  lastSeq: number[];
  errors: string[];
}

/** Ends a subscriber-only job: wait until `expect` messages arrived, or none for 750 ms, or `timeoutMs`. */
export interface SubscriberStop { type: 'stop'; expect: number; timeoutMs: number }
