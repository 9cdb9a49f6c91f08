import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger as quiet, type AlertEvent, type Notify } from '@cityhub/contracts';
import { createHmac } from 'node:crypto';
import { Notifier, verifyWebhook, WEBHOOK_TOLERANCE_S } from '../src/notifier.js';

const ev: AlertEvent = {
  id: 'congestion:link-1:1:opened', alert: 'congestion:link-1:1', rule: 'congestion', kind: 'traffic', asset: 'link-1',
  severity: 'warning', state: 'opened', at: 1_763_900_000_000, value: 12, message: 'speed_kmh 12 below 20 for 300 s', by: null,
};
const SECRET = 'a-webhook-secret-of-enough-length';

describe('Notifier', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });
  type Got = { body: string; headers: Record<string, string | string[] | undefined>; at: number };
  async function receiver(failFirst: number): Promise<{ url: string; got: Got[]; calls: () => number }> {
    const got: Got[] = [];
    let calls = 0;
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        calls++;
        if (calls <= failFirst) {
          res.statusCode = 503;
          return res.end();
        }
        got.push({ body, headers: req.headers, at: Date.now() });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    closers.push(() => new Promise((r) => server.close(() => r())));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got, calls: () => calls };
  }
  const until = async (ok: () => boolean, ms = 5_000) => {
    const t = Date.now() + ms;
    while (!ok() && Date.now() < t) await new Promise((r) => setTimeout(r, 10));
  };

  it('posts the event signed per Standard Webhooks, retrying a failing receiver', async () => {
    const rx = await receiver(2);
    const notify: Notify = { webhooks: [{ url: rx.url, secret: SECRET, min_severity: 'info' }] };
    const n = new Notifier({ notify: () => notify, logger: quiet, backoffMs: 20 });
    closers.push(() => n.close());
    n.send(ev);
    // The receiver has the body before the notifier has read its answer: wait for the recorded outcome.
    await until(() => rx.got.length === 1 && n.deliveries()[0]?.status === 'delivered');
    expect(rx.calls()).toBe(3);
    const { body, headers, at } = rx.got[0]!;
    expect(JSON.parse(body)).toEqual({ type: 'alert', event: ev });
    // Computed here from the specification: v1, base64 HMAC-SHA256 of "<id>.<timestamp>.<body>".
    const ts = Number(headers['webhook-timestamp']);
    expect(headers['webhook-id']).toBe(ev.id);
    expect(Math.abs(ts - at / 1000)).toBeLessThan(5);
    expect(headers['webhook-signature']).toBe(`v1,${createHmac('sha256', SECRET).update(`${ev.id}.${ts}.${body}`).digest('base64')}`);
    expect(headers['x-cityhub-signature']).toBeUndefined();
    expect(verifyWebhook(SECRET, headers, body)).toBeNull();
    expect(n.deliveries()).toEqual([expect.objectContaining({ status: 'delivered', attempts: 3, channel: 'webhook', target: rx.url })]);
  });

  it('signs with the key of a whsec_ secret; a receiver refuses an old timestamp, another body or another secret', async () => {
    const key = Buffer.from('a-standard-webhooks-key-of-32-bytes!').subarray(0, 32);
    const secret = `whsec_${key.toString('base64')}`;
    const rx = await receiver(0);
    const n = new Notifier({ notify: () => ({ webhooks: [{ url: rx.url, secret, min_severity: 'info' }] }), logger: quiet });
    closers.push(() => n.close());
    n.send(ev);
    await until(() => rx.got.length === 1);
    const { body, headers, at } = rx.got[0]!;
    const ts = Number(headers['webhook-timestamp']);
    expect(headers['webhook-signature']).toBe(`v1,${createHmac('sha256', key).update(`${ev.id}.${ts}.${body}`).digest('base64')}`);
    expect(verifyWebhook(secret, headers, body, { nowMs: at })).toBeNull();
    // A delivery captured and replayed later than the tolerance (5 minutes) is refused, as is one from the future.
    expect(verifyWebhook(secret, headers, body, { nowMs: ts * 1000 + (WEBHOOK_TOLERANCE_S + 1) * 1000 })).toBe('timestamp too old or too new');
    expect(verifyWebhook(secret, headers, body, { nowMs: ts * 1000 - (WEBHOOK_TOLERANCE_S + 1) * 1000 })).toBe('timestamp too old or too new');
    expect(verifyWebhook(secret, headers, body.replace('12', '13'), { nowMs: at })).toBe('no valid signature');
    expect(verifyWebhook(SECRET, headers, body, { nowMs: at })).toBe('no valid signature');
    // Re-signing with a new timestamp needs the secret: moving the timestamp alone breaks the signature.
    expect(verifyWebhook(secret, { ...headers, 'webhook-timestamp': String(ts + 1) }, body, { nowMs: at })).toBe('no valid signature');
  });

  it('gives up after its attempts and shows the failure', async () => {
    const rx = await receiver(1_000);
    const n = new Notifier({ notify: () => ({ webhooks: [{ url: rx.url, secret: SECRET, min_severity: 'info' }] }), logger: quiet, backoffMs: 5, attempts: 4 });
    closers.push(() => n.close());
    n.send(ev);
    await until(() => n.deliveries()[0]?.status === 'failed');
    expect(n.deliveries()[0]).toMatchObject({ status: 'failed', attempts: 4, last_error: 'HTTP 503 from the receiver' });
  });

  it('sends only what reaches a target\'s minimum severity', async () => {
    const rx = await receiver(0);
    const n = new Notifier({ notify: () => ({ webhooks: [{ url: rx.url, secret: SECRET, min_severity: 'critical' }] }), logger: quiet });
    closers.push(() => n.close());
    n.send(ev);
    n.send({ ...ev, id: 'x', severity: 'critical' });
    await until(() => rx.got.length === 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(rx.got.map((g) => (JSON.parse(g.body) as { event: AlertEvent }).event.id)).toEqual(['x']);
  });

  it('e-mails through a real SMTP server', async () => {
    const mails: string[] = [];
    const smtp = new SMTPServer({
      authOptional: true, disabledCommands: ['STARTTLS'],
      onData(stream, _session, cb) {
        let text = '';
        stream.on('data', (c: Buffer) => (text += c.toString()));
        stream.on('end', () => { mails.push(text); cb(); });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
    closers.push(() => new Promise((r) => smtp.close(() => r())));
    const port = (smtp.server.address() as AddressInfo).port;
    const n = new Notifier({ notify: () => ({ webhooks: [], email: { to: ['energy@thessaloniki.example'], min_severity: 'warning' } }), logger: quiet, smtpUrl: `smtp://127.0.0.1:${port}`, from: 'City Hub <hub@thessaloniki.example>' });
    closers.push(() => n.close());
    n.send(ev);
    await until(() => mails.length === 1 && n.deliveries()[0]?.status === 'delivered');
    expect(mails[0]).toMatch(/Subject: \[City Hub\] warning: congestion opened on link-1/);
    expect(mails[0]).toMatch(/To: energy@thessaloniki.example/);
    expect(mails[0]).toMatch(/speed_kmh 12 below 20/);
    expect(n.deliveries()[0]).toMatchObject({ channel: 'email', status: 'delivered' });
  });
});
