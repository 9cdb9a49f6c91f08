import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertEvent, Notify } from '@cityhub/contracts';
import { Notifier, signature } from './notifier.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
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
  async function receiver(failFirst: number): Promise<{ url: string; got: Array<{ body: string; sig: string | undefined }>; calls: () => number }> {
    const got: Array<{ body: string; sig: string | undefined }> = [];
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
        got.push({ body, sig: req.headers['x-cityhub-signature'] as string | undefined });
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

  it('posts the event signed with HMAC-SHA256 of the body, retrying a failing receiver', async () => {
    const rx = await receiver(2);
    const notify: Notify = { webhooks: [{ url: rx.url, secret: SECRET, min_severity: 'info' }] };
    const n = new Notifier({ notify: () => notify, logger: quiet, backoffMs: 20 });
    closers.push(() => n.close());
    n.send(ev);
    // The receiver has the body before the notifier has read its answer: wait for the recorded outcome.
    await until(() => rx.got.length === 1 && n.deliveries()[0]?.status === 'delivered');
    expect(rx.calls()).toBe(3);
    const { body, sig } = rx.got[0]!;
    expect(JSON.parse(body)).toEqual({ type: 'alert', event: ev });
    expect(sig).toBe(signature(SECRET, body));
    expect(n.deliveries()).toEqual([expect.objectContaining({ status: 'delivered', attempts: 3, channel: 'webhook', target: rx.url })]);
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
