import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';

/** What the policy of the hub's pages depends on. */
export interface PolicyInputs {
  /** Folder of the built dashboard: the hashes of its inline scripts are allowed. */
  dashboardDir?: string | undefined;
  /** A basemap style on another host (`CITYHUB_BASEMAP_STYLE`): its tiles, glyphs and sprites may come from any https host. */
  basemapStyle?: string | undefined;
}

/** `'sha256-…'` of every inline `<script>` of a page (a `src` script is covered by `'self'`). */
export function inlineScriptHashes(html: string): string[] {
  const out: string[] = [];
  for (const m of html.matchAll(/<script(?![^>]*\ssrc=)[^>]*>([\s\S]*?)<\/script>/gi)) {
    if (m[1]!.trim()) out.push(`'sha256-${createHash('sha256').update(m[1]!, 'utf8').digest('base64')}'`);
  }
  return out;
}

/**
 * The Content-Security-Policy of every answer (the Swagger UI pages send their own). The dashboard loads its
 * scripts, styles and data from the hub only; MapLibre runs its workers from `blob:` URLs and decodes images
 * from `blob:` and `data:` URLs. The inline prefetch script of `index.html` is allowed by its hash. A basemap
 * on another host brings tiles, glyphs and sprites from hosts its style names, so with one any https host may
 * be fetched from.
 */
export function contentSecurityPolicy(p: PolicyInputs): string {
  const index = p.dashboardDir ? join(p.dashboardDir, 'index.html') : undefined;
  const hashes = index && existsSync(index) ? inlineScriptHashes(readFileSync(index, 'utf8')) : [];
  let remote: string[] = [];
  if (p.basemapStyle) {
    const origin = URL.canParse(p.basemapStyle) ? new URL(p.basemapStyle).origin : undefined;
    remote = [...new Set(['https:', ...(origin && origin !== 'null' ? [origin] : [])])];
  }
  return [
    "default-src 'self'",
    ['script-src', "'self'", ...hashes].join(' '),
    "style-src 'self'",
    ['img-src', "'self'", 'data:', 'blob:', ...remote].join(' '),
    ['connect-src', "'self'", ...remote].join(' '),
    "font-src 'self'",
    "worker-src 'self' blob:",
    'child-src blob:',
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Security headers on every answer (OWASP Secure Headers): the CSP above, no MIME sniffing, no framing, no
 * referrer, no opener, HSTS when the hub serves HTTPS itself; and on every 401 the challenge of RFC 6750 §3
 * (`WWW-Authenticate: Bearer`, with `error="invalid_token"` when a token was sent).
 */
export function installSecurityHeaders(app: FastifyInstance, p: PolicyInputs & { https: boolean }): void {
  const headers: Record<string, string> = {
    'content-security-policy': contentSecurityPolicy(p),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
    ...(p.https && { 'strict-transport-security': 'max-age=31536000' }),
  };
  app.addHook('onRequest', async (_req, reply) => {
    reply.headers(headers);
  });
  app.addHook('onSend', async (req, reply) => {
    if (reply.statusCode !== 401 || reply.hasHeader('www-authenticate')) return;
    const sent = req.headers.authorization !== undefined || (req.query as Record<string, unknown> | undefined)?.token !== undefined;
    reply.header('www-authenticate', `Bearer realm="City Hub"${sent ? ', error="invalid_token"' : ''}`);
  });
}

/** The body of an error that fastify answers before any route: a URL it cannot decode, say. */
export const errorBody = (code: string, message: string) => ({ error: { code, message } });

/**
 * Node's HTTP parser refused a request (bad request line, headers too large, timeout): answered in the hub's
 * error shape on the raw socket, as fastify's own handler does with its shape.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'REQUEST_TIMEOUT', 'the request took too long to arrive']
    : err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'HEADERS_TOO_LARGE', 'the request headers are larger than the hub accepts']
      : [400, 'BAD_REQUEST', 'the request is not valid HTTP'];
  const body = JSON.stringify(errorBody(code, message));
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}
