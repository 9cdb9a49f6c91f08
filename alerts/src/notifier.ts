import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type { AlertEvent, Delivery, Logger, Notify, Severity } from '@cityhub/contracts';

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

export interface NotifierOptions {
  notify: () => Notify;
  logger: Logger;
  /** `smtp://host:port` (or smtps://user:pass@host) for e-mail; e-mail is off without it. */
  smtpUrl?: string;
  from?: string;
  /** Attempts per delivery, and the first backoff (doubling, at most 60 s). */
  attempts?: number;
  backoffMs?: number;
}

/** How far a receiver lets `webhook-timestamp` stray from its own clock, in seconds (Standard Webhooks' default). */
export const WEBHOOK_TOLERANCE_S = 300;

/** The HMAC key of a secret: a `whsec_…` secret (the Standard Webhooks form) is base64 of the key, any other is used as its UTF-8 bytes. */
const keyOf = (secret: string): Buffer => (secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8'));

/**
 * The signature of a delivery per Standard Webhooks (standardwebhooks.com, `spec/standard-webhooks.md`):
 * `v1,` and base64 of HMAC-SHA256 over `<webhook-id>.<webhook-timestamp>.<body>`.
 */
export function signature(secret: string, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** The headers of a signed delivery: its id (the same on every retry), the time of this attempt (epoch seconds) and the signature. */
export function webhookHeaders(secret: string, id: string, body: string, nowMs = Date.now()): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  const ts = Math.floor(nowMs / 1000);
  return { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signature(secret, id, ts, body) };
}

/**
 * What a receiver checks: one of the `v1,` signatures matches, and the timestamp is within `toleranceS` of
 * now, so that a captured delivery cannot be replayed later. Returns why it refuses, or null when it accepts.
 */
export function verifyWebhook(secret: string, headers: Record<string, string | string[] | undefined>, body: string, opts: { nowMs?: number; toleranceS?: number } = {}): string | null {
  const one = (k: string) => (Array.isArray(headers[k]) ? headers[k][0] : headers[k]);
  const id = one('webhook-id');
  const ts = Number(one('webhook-timestamp'));
  const sigs = one('webhook-signature')?.split(' ') ?? [];
  if (!id || !Number.isInteger(ts) || sigs.length === 0) return 'missing webhook headers';
  if (Math.abs((opts.nowMs ?? Date.now()) / 1000 - ts) > (opts.toleranceS ?? WEBHOOK_TOLERANCE_S)) return 'timestamp too old or too new';
  const want = Buffer.from(signature(secret, id, ts, body));
  return sigs.some((s) => s.length === want.length && timingSafeEqual(Buffer.from(s), want)) ? null : 'no valid signature';
}

/**
 * Sends alert events to webhooks (POST JSON signed per Standard Webhooks, retried with backoff) and by
 * e-mail. Each delivery is kept (the newest 500) so failures are visible in the API and metrics.
 */
export class Notifier {
  private readonly log: Delivery[] = [];
  private readonly mailer: Transporter | undefined;
  private readonly inflight = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly o: NotifierOptions) {
    this.mailer = o.smtpUrl ? nodemailer.createTransport(o.smtpUrl) : undefined;
  }

  deliveries(): readonly Delivery[] {
    return this.log;
  }

  /** Queues deliveries of `ev` to every target whose minimum severity it reaches. */
  send(ev: AlertEvent): void {
    const n = this.o.notify();
    for (const w of n.webhooks) {
      if (RANK[ev.severity] >= RANK[w.min_severity]) this.track(this.deliver(ev, 'webhook', w.url, () => this.postWebhook(w.url, w.secret, ev)));
    }
    if (n.email && this.mailer && RANK[ev.severity] >= RANK[n.email.min_severity]) {
      const to = n.email.to;
      this.track(this.deliver(ev, 'email', to.join(', '), () => this.mail(to, ev)));
    }
  }

  private track(p: Promise<void>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private async deliver(ev: AlertEvent, channel: Delivery['channel'], target: string, attempt: () => Promise<void>): Promise<void> {
    const d: Delivery = { id: randomUUID(), event: ev.id, target, channel, status: 'pending', attempts: 0, last_error: null, updated: Date.now() };
    this.log.push(d);
    if (this.log.length > 500) this.log.splice(0, this.log.length - 500);
    const max = this.o.attempts ?? 6;
    let backoff = this.o.backoffMs ?? 1_000;
    while (!this.closed) {
      d.attempts++;
      try {
        await attempt();
        d.status = 'delivered';
        d.last_error = null;
        d.updated = Date.now();
        return;
      } catch (err) {
        d.last_error = (err as Error).message;
        d.updated = Date.now();
        if (d.attempts >= max) break;
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 60_000);
      }
    }
    d.status = 'failed';
    this.o.logger.warn({ target, channel, event: ev.id, attempts: d.attempts, err: d.last_error }, 'alert notification failed');
  }

  private async postWebhook(url: string, secret: string, ev: AlertEvent): Promise<void> {
    const body = JSON.stringify({ type: 'alert', event: ev });
    const res = await fetch(url, {
      method: 'POST',
      // Signed at each attempt: the timestamp is the attempt's, the id the event's (receivers drop a repeated id).
      headers: { 'content-type': 'application/json', ...webhookHeaders(secret, ev.id, body), 'x-cityhub-event': ev.id },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status} from the receiver`);
  }

  private async mail(to: string[], ev: AlertEvent): Promise<void> {
    await this.mailer!.sendMail({
      from: this.o.from ?? 'City Hub <cityhub@localhost>',
      to,
      subject: `[City Hub] ${ev.severity}: ${ev.rule} ${ev.state} on ${ev.asset}`,
      text: `${ev.message}\n\nAlert ${ev.alert}\nAsset ${ev.asset}\nRule ${ev.rule}\nAt ${new Date(ev.at).toISOString()}\n`,
    });
  }

  /** Waits (at most `ms`) for deliveries under way, then stops retrying. */
  async close(ms = 2_000): Promise<void> {
    await Promise.race([Promise.all([...this.inflight]), new Promise((r) => setTimeout(r, ms))]);
    this.closed = true;
    this.mailer?.close();
  }
}
