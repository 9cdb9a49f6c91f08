import fastifyCompress from '@fastify/compress';
import type { FastifyInstance } from 'fastify';

/** Answers shorter than this go as they are: compressing them saves less than it costs. */
export const COMPRESS_THRESHOLD_BYTES = 1024;

/**
 * brotli or gzip, as the client's `Accept-Encoding` prefers, for every answer of a compressible type
 * (JSON, GeoJSON, CSV, text, not Parquet, which is compressed already) over the threshold; streamed
 * answers (exports) are compressed as they stream. Brotli at quality 4, @fastify/compress's default, about
 * as fast as gzip. Request bodies are not decompressed: the body limit stays a limit on what arrives.
 * Registered before the routes, whose send hooks it joins.
 */
export async function registerCompression(app: FastifyInstance): Promise<void> {
  await app.register(fastifyCompress, {
    threshold: COMPRESS_THRESHOLD_BYTES,
    encodings: ['br', 'gzip'],
    globalDecompression: false,
  });
}

/**
 * Options of the dashboard's static files: the build writes `.br` and `.gz` beside each (scripts/precompress.mjs),
 * served in place of the file to a client that accepts them; they get no routes of their own.
 */
export const precompressedStatic = (): { preCompressed: boolean; globIgnore: string[] } => ({ preCompressed: true, globIgnore: ['**/*.br', '**/*.gz'] });
