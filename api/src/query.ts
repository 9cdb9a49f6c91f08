import { z } from 'zod';
import { parseStep, parseTime } from '@cityhub/contracts';

/** A time in a query: ISO 8601 or epoch milliseconds, parsed to epoch milliseconds. */
export const timeParam = (name: string, description: string) => z.string().transform((v, ctx) => {
  const t = parseTime(v);
  if (t === null) {
    ctx.addIssue({ code: 'custom', message: `${name} must be ISO 8601 (2026-01-31T08:00:00Z) or epoch milliseconds` });
    return z.NEVER;
  }
  return t;
}).meta({ description, examples: ['2026-01-31T08:00:00Z', '1769846400000'] });

/** A step in a query (`60s`, `15m`, `1h`, `1d` or seconds), parsed to seconds. */
export const stepParam = (description: string) => z.string().transform((v, ctx) => {
  const s = parseStep(v);
  if (s === null) {
    ctx.addIssue({ code: 'custom', message: 'step must be like 60s, 15m, 1h, 1d or a number of seconds' });
    return z.NEVER;
  }
  return s;
}).meta({ description, examples: ['15m', '1h', '3600'] });

/** A comma-separated list in a query, deduplicated, blanks dropped. */
export const listParam = (description: string) =>
  z.string()
    .transform((s) => [...new Set(s.split(',').map((a) => a.trim()).filter(Boolean))])
    .refine((a) => a.length > 0, 'give at least one value')
    .meta({ description });
