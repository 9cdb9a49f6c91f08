import { z } from 'zod';
import { isTimeZone, parseStep, parseTime, type CityClock } from '@cityhub/contracts';

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

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A time in a query that may be a bare date: kept as text, read by {@link readTime} once the time zone is known
 * (a bare `YYYY-MM-DD` is local midnight in `tz`; anything else is ISO 8601 or epoch milliseconds).
 */
export const localTimeParam = (name: string, description: string) => z.string().refine(
  (v) => (DATE_ONLY.test(v) ? !Number.isNaN(Date.parse(v)) : parseTime(v) !== null),
  `${name} must be a date (2026-12-01, local midnight in tz), ISO 8601 (2026-01-31T08:00:00Z) or epoch milliseconds`,
).meta({ description: `${description} A bare date is midnight in \`tz\`.`, examples: ['2026-12-01', '2026-01-31T08:00:00Z', '1769846400000'] });

/** Reads a {@link localTimeParam}: a bare date is local midnight of `clock`'s zone. */
export function readTime(v: string | undefined, clock: CityClock): number | undefined {
  if (v === undefined) return undefined;
  return DATE_ONLY.test(v) ? clock.fromLocalInput(v) ?? undefined : parseTime(v) ?? undefined;
}

/** The `tz` query parameter: an IANA time zone name. */
export const tzParam = () => z.string().refine(isTimeZone, 'tz must be an IANA time zone name, such as Europe/Athens or UTC')
  .meta({ description: 'IANA time zone of bare dates in `from`/`to` and of day buckets; default the city\'s zone (`CITYHUB_TZ`, stated in the answer\'s `tz`).', examples: ['Europe/Athens', 'UTC'] });
