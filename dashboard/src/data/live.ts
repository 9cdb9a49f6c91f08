import { LiveMessage } from '@cityhub/contracts';
import type { AlertEvent, LiveReading } from '@cityhub/contracts';

/** The live connection as the status indicator shows it. */
export type LiveStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Reconnect delays: exponential from `baseMs`, capped at `maxMs`, with up to `jitter` of it random. */
export interface BackoffOptions { baseMs: number; maxMs: number; jitter: number }
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 15_000, jitter: 0.3 };

/**
 * The delay before reconnect attempt `attempt` (0 = the first after a drop). Jitter keeps a whole city of
 * dashboards from reconnecting in step after an API restart.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attempt));
  return Math.round(exp * (1 - opts.jitter + opts.jitter * random()));
}

/** Parses one WebSocket text frame; null for anything that is not a `LiveMessage`. */
export function parseLiveFrame(data: unknown): LiveMessage | null {
  if (typeof data !== 'string') return null;
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return null;
  }
  const parsed = LiveMessage.safeParse(json);
  return parsed.success ? parsed.data : null;
}

export interface LiveClientOptions {
  url: string;
  onReading: (r: LiveReading) => void;
  /** An alert opened, was acknowledged or cleared (the socket carries them for every kind it was asked for). */
  onAlert?: (e: AlertEvent) => void;
  onStatus: (s: LiveStatus) => void;
  /** Called on every successful (re)connection after the first: readings may have been missed meanwhile. */
  onReconnect?: () => void;
  backoff?: BackoffOptions;
}

/** A WebSocket on `/api/v1/live` that reconnects with backoff until `close()`. */
export class LiveClient {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private everOpened = false;
  private closed = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Frames that were not a `LiveMessage`: shown nowhere, kept for debugging from the console. */
  ignored = 0;

  constructor(private readonly opts: LiveClientOptions) {}

  /** Opens the socket (idempotent). */
  start(): void {
    if (this.ws || this.closed) return;
    this.opts.onStatus(this.everOpened ? 'reconnecting' : 'connecting');
    const ws = new WebSocket(this.opts.url);
    this.ws = ws;
    // The feed is up when the hub greets, not when a socket opens: a proxy may accept one and relay nothing.
    const greeted = () => {
      this.attempt = 0;
      this.opts.onStatus('open');
      if (this.everOpened) this.opts.onReconnect?.();
      this.everOpened = true;
    };
    ws.onmessage = (ev: MessageEvent) => {
      const msg = parseLiveFrame(ev.data);
      if (!msg) this.ignored++;
      else if (msg.type === 'hello') greeted();
      else if (msg.type === 'readings') for (const r of msg.readings) this.opts.onReading(r);
      else if (msg.type === 'reading') this.opts.onReading(msg);
      else if (msg.type === 'alert') this.opts.onAlert?.({ ...msg.event, at: Date.parse(msg.event.at) });
    };
    // An error is always followed by close; reconnecting there covers both.
    ws.onclose = () => {
      this.ws = null;
      if (this.closed) return;
      this.opts.onStatus('reconnecting');
      const delay = backoffDelay(this.attempt++, this.opts.backoff);
      this.timer = setTimeout(() => {
        this.timer = null;
        this.start();
      }, delay);
    };
  }

  /** Closes the socket for good. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.ws?.close();
    this.ws = null;
    this.opts.onStatus('closed');
  }
}
