/**
 * Part of step 4: the whole city's 7-day history at 15 min over HTTP, as a client pays for it (request,
 * transfer, decompression, JSON.parse), in today's form (points, an ISO time per point) and in columns, each
 * uncompressed, gzip and brotli; on the hub over DuckDB and on a hub over InfluxDB, side by side.
 */
import { request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { figure, type Figure } from '../lib/stats.js';

const DAY = 86_400_000;
const REPS = 20;
const WARMUPS = 3;
/** A slow variant (InfluxDB's points, say) gets fewer repeats, at least MIN_REPS: about this long each. */
const VARIANT_BUDGET_MS = 10_000;
const MIN_REPS = 5;
export const FORMS = ['points', 'columnar'] as const;
export const ENCODINGS = ['identity', 'gzip', 'br'] as const;

/** One form and encoding of the whole-city week over HTTP on one backend. */
export interface WireTiming {
  backend: string;
  form: (typeof FORMS)[number];
  encoding: (typeof ENCODINGS)[number];
  /** From request to parsed JSON, per request. */
  ms: Figure;
  /**
   * The variant's first request, before its warm-ups: for the first columnar variant on DuckDB, an answer
   * read afresh (the store keeps the buckets before its read cut for later requests; see ColumnCache).
   */
  firstMs: number;
  /** Bytes on the wire (body), and once decoded. */
  bytes: number;
  jsonBytes: number;
  /** Values in the answer that are not null (every bucket that has a reading). */
  values: number;
}

interface Answer { wire: number; json: number; values: number; encoding: string }

/** GET `url` with `accept-encoding: encoding`; the body is decoded and parsed, as a client would. */
function fetchAnswer(url: string, encoding: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { 'accept-encoding': encoding, accept: 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        try {
          const body = Buffer.concat(chunks);
          if (res.statusCode !== 200) throw new Error(`GET ${url}: ${res.statusCode} ${body.toString().slice(0, 300)}`);
          const got = String(res.headers['content-encoding'] ?? 'identity');
          const text = (got === 'br' ? brotliDecompressSync(body) : got === 'gzip' ? gunzipSync(body) : body).toString();
          resolve({ wire: body.length, json: text.length, values: countValues(JSON.parse(text) as Parameters<typeof countValues>[0]), encoding: got });
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Non-null values of either form. */
function countValues(body: { series: Array<{ points?: unknown[]; values?: unknown[] }> }): number {
  return body.series.reduce((n, s) => n + (s.points?.length ?? s.values?.filter((v) => v !== null).length ?? 0), 0);
}

/** The URL of the whole-city week (every road link's speed, 15-min means) in a form. */
export function cityWeekUrl(httpUrl: string, now: number, form: (typeof FORMS)[number]): string {
  return `${httpUrl}/api/v1/series?kind=traffic&metric=speed_kmh&step=15m&from=${now - 7 * DAY}&to=${now}&format=${form}`;
}

/**
 * Every form × encoding on one hub: median of REPS (fewer for a slow variant) after WARMUPS. Checks that the hub answered in the
 * encoding asked and that both forms carry the same number of values.
 */
export async function cityWeekOverHttp(backend: string, httpUrl: string, now: number, log: (m: string) => void): Promise<WireTiming[]> {
  const out: WireTiming[] = [];
  for (const form of FORMS) {
    for (const encoding of ENCODINGS) {
      const url = cityWeekUrl(httpUrl, now, form);
      let last: Answer | undefined;
      let warm = performance.now();
      let firstMs = NaN;
      for (let i = 0; i < WARMUPS; i++) {
        warm = performance.now();
        last = await fetchAnswer(url, encoding);
        if (i === 0) firstMs = performance.now() - warm;
      }
      const reps = Math.max(MIN_REPS, Math.min(REPS, Math.floor(VARIANT_BUDGET_MS / (performance.now() - warm))));
      const ms: number[] = [];
      for (let i = 0; i < reps; i++) {
        const t0 = performance.now();
        last = await fetchAnswer(url, encoding);
        ms.push(performance.now() - t0);
      }
      if (last!.encoding !== encoding) throw new Error(`${backend} answered ${last!.encoding} when asked for ${encoding}`);
      out.push({ backend, form, encoding, ms: figure(ms), firstMs, bytes: last!.wire, jsonBytes: last!.json, values: last!.values });
      log(`http ${backend} whole city week, ${form}, ${encoding}: median ${figure(ms).median.toFixed(1)} ms (first ${firstMs.toFixed(1)} ms), ${(last!.wire / 1024).toFixed(0)} KiB on the wire, ${last!.values} values`);
    }
  }
  const counts = new Set(out.map((t) => t.values));
  if (counts.size !== 1) log(`warning: ${backend}: the forms carry different numbers of values (${[...counts].join(', ')})`);
  return out;
}
