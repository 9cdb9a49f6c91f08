import { createHmac, randomUUID } from 'node:crypto';
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

/** The HMAC-SHA256 signature a receiver checks: `sha256=<hex>` of the raw body with the webhook's secret. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Sends alert events to webhooks (POST JSON, `X-CityHub-Signature: sha256=…`, retried with backoff) and by
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
      headers: { 'content-type': 'application/json', 'x-cityhub-signature': signature(secret, body), 'x-cityhub-event': ev.id },
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
