import { HttpError, InfluxDB } from '@influxdata/influxdb-client';
import type { Connection } from './http.js';
import { writeV1 } from './http.js';
import { httpError, networkError } from './influx-errors.js';

/** Sends lines and resolves once the server confirmed them; no buffering, no retry (the hub's writer retries). */
export interface LineWriter {
  write(lines: readonly string[], precision: 'ms' | 'ns'): Promise<void>;
}

/** Splits lines into requests of at most `batchSize` lines, sent one after another. */
async function inBatches(lines: readonly string[], batchSize: number, send: (chunk: string[]) => Promise<void>): Promise<void> {
  for (let i = 0; i < lines.length; i += batchSize) await send(lines.slice(i, i + batchSize));
}

/** Writes through 1.x's `/write` with fetch. */
export function v1Writer(conn: Connection, batchSize: number): LineWriter {
  return {
    write: (lines, precision) => inBatches(lines, batchSize, (chunk) => writeV1(conn, chunk.join('\n'), precision)),
  };
}

/** Options for the client's WriteApi. */
export interface V2WriterOptions {
  org: string;
  bucket: string;
  /** A 2.x/3.x token, or `user:password` for InfluxDB 1.8 with authentication. */
  token: string | undefined;
  batchSize: number;
}

/**
 * Writes through `/api/v2/write` with `@influxdata/influxdb-client`'s WriteApi. The WriteApi is built as a
 * buffering, retrying background writer; here each call gets its own, sized so that nothing flushes on its
 * own (an automatic flush swallows its error) and with no retries (`writeFailed` hands every failure back
 * at once), so that the awaited `flush()` resolves exactly when the server confirmed every line.
 */
export function v2Writer(conn: Connection, opts: V2WriterOptions): LineWriter {
  const client = new InfluxDB({ url: conn.url, token: opts.token, timeout: conn.timeoutMs });
  return {
    write: (lines, precision) =>
      inBatches(lines, opts.batchSize, async (chunk) => {
        const api = client.getWriteApi(opts.org, opts.bucket, precision, {
          batchSize: chunk.length + 1,
          maxBatchBytes: Number.MAX_SAFE_INTEGER,
          flushInterval: 0,
          maxRetries: 0,
          maxBufferLines: chunk.length + 1,
          gzipThreshold: conn.gzip ? 1_000 : Number.MAX_SAFE_INTEGER,
          writeFailed: (error: Error) => Promise.reject(error),
        });
        api.writeRecords(chunk);
        try {
          await api.flush();
        } catch (e) {
          if (e instanceof HttpError) throw httpError('write', conn.url, e.statusCode, e.body ?? e.message);
          throw networkError('write', conn.url, e);
        }
      }),
  };
}
