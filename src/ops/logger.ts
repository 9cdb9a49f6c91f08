import { hostname } from 'node:os';
import { pino, type Logger } from 'pino';
import type { Config } from '@cityhub/contracts';

/**
 * Secrets as they appear inside text: a `token`, `secret` or `password` query parameter (the live
 * WebSocket takes `?token=`), a bearer token, and the hub's API tokens (`chk_{id}_{secret}`, the id kept).
 */
const SECRETS_IN_TEXT: Array<[RegExp, string]> = [
  [/([?&](?:token|access_token|secret|password)=)[^&#\s"']*/gi, '$1[redacted]'],
  [/(\bBearer\s+)[^\s"',]+/gi, '$1[redacted]'],
  [/\b(chk_[0-9a-f]{8}_)[A-Za-z0-9_-]+/g, '$1[redacted]'],
];

/** `text` with every secret it holds replaced by `[redacted]`. */
export function redactText(text: string): string {
  let out = text;
  for (const [re, to] of SECRETS_IN_TEXT) out = out.replace(re, to);
  return out;
}

/** Keys whose values are secrets whatever they hold. */
const SECRET_KEYS = /^(authorization|cookie|password|secret|token|x-api-key)$/i;

/** Strings of plain objects and arrays, a few levels deep, with their secrets redacted (other objects are left to their serializers). */
function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.test(k) && typeof v === 'string' ? '[redacted]' : scrub(v, depth + 1);
  return out;
}

interface RequestLike { method?: string; url?: string; id?: unknown; ip?: string }

/**
 * The hub's logger: one JSON line per event (pino) with the time, host name and process id, the component
 * as `name`; secrets are redacted wherever they appear (fields, URLs, messages, errors).
 */
export function createLogger(config: Pick<Config, 'CITYHUB_LOG_LEVEL'>): Logger {
  return pino({
    level: config.CITYHUB_LOG_LEVEL,
    base: { pid: process.pid, hostname: hostname() },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { log: (o) => scrub(o) as Record<string, unknown> },
    serializers: {
      req: (req: RequestLike) => ({ method: req.method, url: redactText(req.url ?? ''), ...(req.ip && { address: req.ip }) }),
      // Many lines log an error's message as `err`: a string stays a string (spread, it would become an object of characters).
      err: (err: unknown) => (err instanceof Error ? scrub({ ...pino.stdSerializers.err(err) }) : scrub(err)),
    },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? redactText(a) : a)) as Parameters<typeof method>);
      },
    },
  });
}
export type { Logger };
